import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { isHandlerFile, loadHandlerModules, loadHandlers } from '../../src/handler-loader.ts'
import { createHandlerRouter } from '../../src/handler-router.ts'
import { createLogger } from '../../src/logger.ts'
import { EVENT_SUBTYPES, MENTION_SUBTYPES, MESSAGE_TYPES, MessageSchema } from '../../src/message-schema.ts'
import { EXAMPLES_DIR } from '../helpers/examples.ts'
import { fixture } from '../helpers/push.ts'
import { parseStreamRecord } from '../../src/push-stream/stream-record.ts'
import { toStreamMessage, type StreamMessage } from '../../src/push-stream/stream-message.ts'

const FIXTURES = ['text', 'position', 'voice', 'image', 'event-follow', 'event-unfollow', 'event-subscribe', 'event-scan',
  'event-scan-follow', 'event-click', 'event-view', 'mention-status', 'mention-comment']

test('every example module loads and contributes at least one handler or middleware', async () => {
  const { handlers, middleware } = await loadHandlerModules(EXAMPLES_DIR)
  const modules = readdirSync(EXAMPLES_DIR).filter(isHandlerFile).sort()
  assert.deepEqual(modules, ['audit.ts', 'block-list.ts', 'events.ts', 'fallback.ts', 'image.ts', 'mention.ts', 'opening-hours.ts',
    'order-lookup.ts', 'position.ts', 'rate-limit.ts', 'stream-keyword.ts', 'text-keyword.ts', 'voice.ts'])
  assert.deepEqual([...new Set([...handlers, ...middleware].map((item) => path.basename(item.file)))].sort(), modules)
  assert.deepEqual(middleware.map((item) => item.name), ['audit', 'block-list', 'opening-hours', 'rate-limit'])
  const names = handlers.map((handler) => handler.name)
  assert.equal(new Set(names).size, names.length, `handler names repeat: ${names.join(', ')}`)
})

test('every message type has a handler', async () => {
  const handlers = await loadHandlers(EXAMPLES_DIR)
  const triggers = new Set<string>(handlers.flatMap((handler) => handler.triggers))
  for (const type of MESSAGE_TYPES) {
    const subtypes = type === 'event' ? EVENT_SUBTYPES : type === 'mention' ? MENTION_SUBTYPES : []
    const covered = triggers.has(type) || triggers.has('*') || subtypes.some((subtype) => triggers.has(`${type}:${subtype}`))
    assert.ok(covered, `no handler for ${type}`)
  }
})

test('every fixture is routed to the example meant for it', async () => {
  const router = createHandlerRouter(await loadHandlers(EXAMPLES_DIR), createLogger({ level: 'silent' }))
  const fileFor = (name: string): string => name.startsWith('event-') ? 'events.ts' : name.startsWith('mention-') ? 'mention.ts' : name === 'text' ? 'fallback.ts' : `${name}.ts`
  for (const name of FIXTURES) {
    const handler = router.select(MessageSchema.parse(JSON.parse(fixture(name))))
    assert.equal(handler === undefined ? undefined : path.basename(handler.file), fileFor(name), name)
  }
})

test('a stream weibo naming the brand goes to stream-keyword; any other stream record to no example (not even fallback)', async () => {
  const router = createHandlerRouter(await loadHandlers(EXAMPLES_DIR), createLogger({ level: 'silent' }))
  const status = (text: string): StreamMessage | undefined => toStreamMessage(parseStreamRecord(JSON.stringify({
    id: 1404160103598340,
    text: { type: 'status', event: 'add', status: { id: 3700057402482222, text, user: { id: 2084126291 } } }
  })))
  const named = status('下午来一杯青柚')
  const other = status('今天天气不错')
  assert.ok(named !== undefined && other !== undefined)
  assert.equal(path.basename(router.select(named)?.file ?? ''), 'stream-keyword.ts')
  assert.equal(router.select(other), undefined)
})

test('the README describes every example module', () => {
  const readme = readFileSync(path.join(EXAMPLES_DIR, 'README.md'), 'utf8')
  for (const file of readdirSync(EXAMPLES_DIR).filter(isHandlerFile)) {
    assert.ok(readme.includes(`\`${file}\``), `README.md does not mention ${file}`)
  }
})

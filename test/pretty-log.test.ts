import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { text } from '../src/index.ts'
import { createLogger } from '../src/logger.ts'
import { formatError, formatMessage, prettyStream } from '../src/pretty-log.ts'
import { createTestKit } from '../src/testing.ts'

test('a push through the whole pipeline is one pretty line, its facts folded into the message', async (t) => {
  const out = new PassThrough()
  let written = ''
  out.on('data', (chunk: Buffer) => { written += chunk.toString('utf8') })
  const logger = createLogger({ level: 'info', destination: prettyStream(out) })
  const kit = await createTestKit({ handlers: [{ name: 'greet', on: 'text', handle: () => text('你好') }], logger })
  t.after(async () => { await kit.close() })

  await kit.send({ type: 'text', text: '在吗' })
  const lines = written.trimEnd().split('\n')
  assert.equal(lines.length, 1, written)
  const [line = ''] = lines
  assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: push passive {2}type=text sender=\d+ dedupKey="[^"]+" handler=greet outcome=passive durationMs=\d+$/)
})

test('other objects stay on the same line; values with spaces are quoted', () => {
  assert.equal(formatMessage({ msg: 'push rejected', push: { outcome: 'rejected', reason: 'bad sig' } }, 'msg'),
    'push rejected  outcome=rejected reason="bad sig"')
  assert.equal(formatMessage({ msg: 'weibo-fanbot is ready', handlers: ['a'] }, 'msg'), 'weibo-fanbot is ready')
})

test('an error is said once: a handler\'s own throw as its stack, one of ours as its message alone', () => {
  const thrown = { type: 'TypeError', message: 'api.txt is not a function', stack: 'TypeError: api.txt is not a function\n    at handle (/bot/handlers/greet.ts:3:9)' }
  const wrapped = { type: 'FanbotError', code: 'WEIBO_ERR_HANDLER_THREW', message: 'A handler threw…: greet: api.txt is not a function', stack: 'FanbotError: …\n    at runOnce', cause: thrown }
  assert.equal(formatError(wrapped), thrown.stack)
  const invalid = { type: 'FanbotError', code: 'WEIBO_ERR_REPLY_INVALID', message: 'A handler returned a reply Weibo would reject; nothing was sent: got a bare string', stack: 'FanbotError: …\n    at validateReply' }
  assert.equal(formatError(invalid), invalid.message)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { normaliseHandlers } from '../../src/handler-loader.ts'
import { createHandlerRouter } from '../../src/handler-router.ts'
import { createMetrics } from '../../src/metrics.ts'
import { readPush } from '../../src/push-reader.ts'
import { text } from '../../src/reply.ts'
import { createFanTurns } from '../../src/session/fan-turn.ts'
import type { FanQueue } from '../../src/session/fan-queue.ts'
import { createMemorySessionStore } from '../../src/session/memory-session-store.ts'
import type { WeiboApiClient } from '../../src/weibo-api/client.ts'
import { deferred, waitFor } from '../helpers/deferred.ts'
import { captureLogs } from '../helpers/logs.ts'
import { fixtureWith } from '../helpers/push.ts'

test('two runs of one fan at once (their turns lost: Redis down, or a lease lapsed): the second save is refused, not merged', async () => {
  // A queue that lets everything in, as when the fan queue is unreachable.
  const open: FanQueue = { size: 0, enter: async () => () => {}, close: async () => {} }
  const logs = captureLogs('info')
  const metrics = createMetrics({ dedupEntries: () => 0 })
  const gate = deferred()
  let started = 0
  const router = createHandlerRouter(normaliseHandlers({
    file: '<inline>',
    exported: {
      on: 'text',
      session: true,
      async handle (message: { text: string }, ctx: { session: { seen?: string[] } }) {
        ctx.session.seen = [...(ctx.session.seen ?? []), message.text]
        started++
        if (message.text === 'slow') await gate.promise
        return text('ok')
      }
    }
  }), logs.logger)
  const sessions = createMemorySessionStore({ max: 10, ttlMs: 60_000 })
  const turns = createFanTurns({ router, middleware: [], sessions, queue: open, api: {} as WeiboApiClient, logger: logs.logger, handlerTimeoutMs: 5000, metrics })
  const run = (words: string) => {
    const reading = readPush(fixtureWith('text', { text: words }))
    assert.ok(reading.kind === 'message')
    return turns.run({ message: reading.message, dedupKey: words, shutdownSignal: new AbortController().signal })
  }
  const slow = run('slow')
  await waitFor(() => started === 1)
  await run('fast') // loaded the same version and saves first
  gate.resolve()
  await slow
  assert.deepEqual(JSON.parse((await sessions.load('1902538057:2489518277')).json), { seen: ['fast'] })
  assert.ok(logs.lines().some((line) => (line.err as { code?: string } | undefined)?.code === 'WEIBO_ERR_SESSION_CONFLICT'))
  assert.match((await metrics.registry.metrics()), /weibo_fanbot_session_writes_total\{result="conflict"\} 1/)
})

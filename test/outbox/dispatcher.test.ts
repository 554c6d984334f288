import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMemoryDedupStore } from '../../src/dedup/memory-dedup-store.ts'
import { createDispatcher } from '../../src/dispatcher.ts'
import { normaliseHandlers } from '../../src/handler-loader.ts'
import { createHandlerRouter } from '../../src/handler-router.ts'
import { readPush } from '../../src/push-reader.ts'
import { text } from '../../src/reply.ts'
import { deferred } from '../helpers/deferred.ts'
import { outboxWorld, until } from '../helpers/outbox.ts'
import { fixtureWith } from '../helpers/push.ts'
import { skipWithoutRedis } from '../helpers/redis.ts'

test('the dispatcher hands a slow handler\'s reply to the outbox, which sends it once', { skip: skipWithoutRedis }, async (t) => {
  const world = await outboxWorld(t)
  const config = world.config({ OUTBOX_CONCURRENCY: '1' })
  // The wiring buildApp gets with REDIS_URL: the outbox's sender as the dispatcher's lateReply.
  const outbox = world.outbox({ OUTBOX_CONCURRENCY: '1' })
  await until(() => outbox.queue.ready) // queued, not sent directly: see twoFailed in cli.test.ts
  const answered = deferred()
  const handlers = normaliseHandlers({
    file: '<inline>',
    // Late for sure: the handler ends once dispatch answered (a 100 ms sleep raced the 20 ms deadline's timer).
    exported: [{ on: 'text', handle: async () => { await answered.promise; return text('worth the wait') } }]
  })
  const dispatcher = createDispatcher({
    router: createHandlerRouter(handlers, world.logs.logger),
    store: createMemoryDedupStore({ max: 100, ttlMs: 60_000 }),
    lateReply: outbox.lateReply,
    api: world.appApi(config),
    logger: world.logs.logger,
    replyDeadlineMs: 20,
    handlerTimeoutMs: 5000
  })
  const reading = readPush(fixtureWith('text', { text: 'slow one' }))
  assert.equal(reading.kind, 'message')
  if (reading.kind !== 'message') return
  const result = await dispatcher.dispatch(reading.message)
  assert.equal(result.outcome, 'active')
  answered.resolve()
  // The dispatcher's work ends once the reply is in Redis; the worker sends it.
  await dispatcher.idle()
  await until(() => world.delivered().length === 1)
  assert.deepEqual(world.delivered(), [{ text: 'worth the wait' }])
  assert.equal(world.replyCalls().length, 1)
})

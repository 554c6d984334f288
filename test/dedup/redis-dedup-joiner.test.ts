/**
 * A joiner on the Redis dedup store that gets its answer while its poll's read is still in flight leaves nothing
 * behind: the read comes back empty (it was sent before the answer was written) and used to arm the next poll anyway,
 * a timer of `pollMs` that did nothing but hold the process (a test file's process held 60 s). Counted by the polls
 * the store arms, not by the process's timers: the file shares its process with others.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRedisDedupStore } from '../../src/dedup/redis-dedup-store.ts'
import { connectRedis, SUBSCRIBER_OPTIONS } from '../../src/storage/redis-connection.ts'
import { captureLogs } from '../helpers/logs.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

const POLL_MS = 30_000

test('a joiner answered while its poll reads leaves no poll timer behind', { skip: skipWithoutRedis }, async (t) => {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const logger = captureLogs('info').logger
  // Counts the polls the store arms (timers of pollMs): not every timer of the process, which shares its process
  // with other test files.
  let polls = 0
  const original = globalThis.setTimeout
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    if (ms === POLL_MS) polls++
    return original(callback, ms)
  }) as typeof setTimeout
  t.after(() => { globalThis.setTimeout = original })
  const redis = await connectRedis({ url, logger, name: 'test-joiner' })
  const subscriber = await connectRedis({ url, logger, name: 'test-joiner-sub', options: SUBSCRIBER_OPTIONS })
  const store = createRedisDedupStore({ redis, subscriber, logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: POLL_MS, pollMs: POLL_MS })
  t.after(async () => { await store.close(); await deleteKeys(url, prefix) })

  const owner = await store.claim('k')
  assert.equal(owner.role, 'owner')
  await redis.ping() // the owner's claim is written
  const joined = await store.claim('k')
  assert.ok(joined.role === 'joiner' && !joined.settled)
  // The joiner's first poll (a read) is on its way; the owner answers now, in this process: the joiner is woken at
  // once, and the read comes back empty after.
  if (owner.role === 'owner') owner.settle('the answer')
  assert.equal(await joined.answer, 'the answer')
  const answeredAt = polls
  await redis.ping() // after the poll's read and the owner's write: both have come back
  await new Promise((resolve) => setImmediate(resolve)) // and the read's callbacks have run
  assert.equal(polls, answeredAt, 'no poll armed after the answer')
})

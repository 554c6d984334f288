/**
 * A joiner on the Redis dedup store that gets its answer while its poll's read is still in flight leaves nothing
 * behind: the read comes back empty (it was sent before the answer was written) and used to arm the next poll anyway,
 * a timer of `pollMs` that did nothing but hold the process (a test file's process held 60 s).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRedisDedupStore } from '../../src/dedup/redis-dedup-store.ts'
import { connectRedis, FAST_FAIL_OPTIONS, SUBSCRIBER_OPTIONS } from '../../src/storage/redis-connection.ts'
import { captureLogs } from '../helpers/logs.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length

test('a joiner answered while its poll reads leaves no poll timer behind', { skip: skipWithoutRedis }, async (t) => {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const logger = captureLogs('info').logger
  // A patient command timeout: no command timer of ioredis's may still run when the timers are counted.
  const redis = await connectRedis({ url, logger, name: 'test-joiner', options: { ...FAST_FAIL_OPTIONS, commandTimeout: undefined } })
  const subscriber = await connectRedis({ url, logger, name: 'test-joiner-sub', options: { ...SUBSCRIBER_OPTIONS, commandTimeout: undefined } })
  const store = createRedisDedupStore({ redis, subscriber, logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: 30_000, pollMs: 30_000 })
  t.after(async () => { await store.close(); await deleteKeys(url, prefix) })

  const owner = await store.claim('k')
  assert.equal(owner.role, 'owner')
  await redis.ping() // the owner's claim is written
  const before = timers()
  const joined = await store.claim('k')
  assert.ok(joined.role === 'joiner' && !joined.settled)
  // The joiner's first poll (a read) is on its way; the owner answers now, in this process: the joiner is woken at
  // once, and the read comes back empty after.
  if (owner.role === 'owner') owner.settle('the answer')
  assert.equal(await joined.answer, 'the answer')
  await redis.ping() // after the poll's read and the owner's write: both have come back
  await new Promise((resolve) => setImmediate(resolve)) // and the read's callbacks have run
  assert.equal(timers(), before, 'no timer left by the poll')
})

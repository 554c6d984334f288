/**
 * The settle is sent without a promise of its own (nobody waits for it): when Redis fails it, the failure must
 * still be counted (`weibo_fanbot_store_errors_total{operation="settle"}`) and logged, never lost or thrown.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRedisDedupStore } from '../../src/dedup/redis-dedup-store.ts'
import { connectRedis, SUBSCRIBER_OPTIONS } from '../../src/storage/redis-connection.ts'
import { captureLogs } from '../helpers/logs.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

test('a settle that Redis fails is counted and logged', { skip: skipWithoutRedis }, async (t) => {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const logs = captureLogs('info')
  const redis = await connectRedis({ url, logger: logs.logger, name: 'test-settle-failure' })
  const subscriber = await connectRedis({ url, logger: logs.logger, name: 'test-settle-failure-sub', options: SUBSCRIBER_OPTIONS })
  const errors: string[] = []
  const store = createRedisDedupStore({ redis, subscriber, logger: logs.logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: 2_000, pollMs: 50, onError: (operation) => { errors.push(operation) } })
  t.after(async () => { await store.close(); await deleteKeys(url, prefix) })

  const claim = await store.claim('push-1')
  assert.equal(claim.role, 'owner')
  redis.disconnect() // no offline queue: the settle's command fails at once
  if (claim.role === 'owner') claim.settle('the answer')
  for (const deadline = Date.now() + 2000; errors.length === 0 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 5))
  assert.deepEqual(errors, ['settle'])
  assert.match(logs.text(), /dedup store settle failed/)
  assert.match(logs.text(), /push-1/)
})

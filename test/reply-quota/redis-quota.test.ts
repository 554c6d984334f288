import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createRedisQuotaStore } from '../../src/reply-quota/redis-quota-store.ts'
import { createReplyQuota, type ReplyQuota } from '../../src/reply-quota/reply-quota.ts'
import { ReplyRefusedError } from '../../src/reply-quota/reply-refused-error.ts'
import { captureLogs } from '../helpers/logs.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

const HOUR = 3600_000
const LIMITS = { windowMs: 48 * HOUR, repliesPerWindow: 10, repliesPerMention: 1 }

interface Replica { quota: ReplyQuota, redis: Redis }

function replica (url: string, prefix: string, now: () => number): Replica {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  const store = createRedisQuotaStore({ redis, prefix, limits: LIMITS, now })
  return { redis, quota: createReplyQuota({ store, limits: LIMITS, now, logger: captureLogs('info').logger }) }
}

async function outcomes (attempts: Array<Promise<unknown>>): Promise<{ sent: number, refused: number }> {
  const settled = await Promise.allSettled(attempts)
  for (const result of settled) {
    if (result.status === 'rejected') assert.ok(result.reason instanceof ReplyRefusedError, String(result.reason))
  }
  return { sent: settled.filter((result) => result.status === 'fulfilled').length, refused: settled.filter((result) => result.status === 'rejected').length }
}

describe('reply quotas on Redis', { skip: skipWithoutRedis }, () => {
  test('two replicas share one fan\'s quota: concurrent replies never exceed it', async (t) => {
    const url = redisUrl() as string
    const prefix = uniquePrefix()
    const clock = { now: Date.now() }
    const now = (): number => clock.now
    const [a, b] = [replica(url, prefix, now), replica(url, prefix, now)] as [Replica, Replica]
    t.after(async () => {
      await deleteKeys(url, prefix)
      a.redis.disconnect()
      b.redis.disconnect()
    })
    await a.quota.record({ type: 'text', sender_id: '42' })
    const attempts = Array.from({ length: 30 }, (_, index) => (index % 2 === 0 ? a : b).quota.take('42', 1))
    assert.deepEqual(await outcomes(attempts), { sent: 10, refused: 20 })
    // The fan writes again (through replica b): the quota renews for both.
    await b.quota.record({ type: 'text', sender_id: '42' })
    await a.quota.take('42', 1)
  })

  test('an unfollow seen by one replica closes the window for the other; the state expires with the window', async (t) => {
    const url = redisUrl() as string
    const prefix = uniquePrefix()
    const a = replica(url, prefix, Date.now)
    t.after(async () => {
      await deleteKeys(url, prefix)
      a.redis.disconnect()
    })
    const b = replica(url, prefix, Date.now)
    t.after(() => { b.redis.disconnect() })
    await a.quota.record({ type: 'event', sender_id: '43', data: { subtype: 'follow' } })
    await a.quota.record({ type: 'event', sender_id: '43', data: { subtype: 'unfollow' } })
    await assert.rejects(b.quota.take('43', 1), (error: unknown) => error instanceof ReplyRefusedError && error.code === 'WEIBO_ERR_QUOTA_UNFOLLOWED')
    const ttl = await a.redis.pttl(`${prefix}:quota:43`)
    assert.ok(ttl > 47 * HOUR && ttl <= 48 * HOUR, `ttl ${ttl}`)
  })
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis, ReplyError } from 'ioredis'
import type { FanState } from '../../src/reply-quota/fan-quota.ts'
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

  test('a new fan costs one command (an item of the new-fan batch, no compare-and-set script), a known one two; a refusal is never judged from the guess', async (t) => {
    const url = redisUrl() as string
    const prefix = uniquePrefix()
    const a = replica(url, prefix, Date.now)
    const b = replica(url, prefix, Date.now)
    t.after(async () => {
      await deleteKeys(url, prefix)
      a.redis.disconnect()
      b.redis.disconnect()
    })
    await b.redis.ping() // connected: only the store's own commands are counted below
    const sent: string[] = []
    const send = b.redis.sendCommand.bind(b.redis)
    b.redis.sendCommand = ((command: { name: string }) => { sent.push(command.name); return send(command as never) }) as typeof b.redis.sendCommand
    const store = createRedisQuotaStore({ redis: b.redis, prefix, limits: LIMITS, now: Date.now })
    const counted = async (run: () => Promise<unknown>): Promise<string[]> => { sent.length = 0; await run(); return [...sent] }

    const record = { type: 'text', sender_id: '44' }
    assert.deepEqual(await counted(async () => { await b.quota.record(record) }), ['evalsha'], 'a new fan: one SET NX GET, in the batch script')
    const ttl = await a.redis.pttl(`${prefix}:quota:44`)
    assert.ok(ttl > 47 * HOUR && ttl <= 48 * HOUR, `a new fan's key expires with the window: ttl ${ttl}`)
    assert.deepEqual(await counted(async () => { await b.quota.record(record) }), ['evalsha', 'eval'], 'a known fan: SET NX GET answers the state')
    // Fan 45 is known only to replica a. A change that writes nothing for an unknown fan (a refused reply) must not
    // be answered from b's first guess: b reads, then writes what the real state gives.
    await a.quota.record({ type: 'text', sender_id: '45' })
    const takeOne = (state: FanState | undefined): { state?: FanState, result: string } =>
      state === undefined ? { result: 'refused' } : { state: { ...state, repliesUsedInWindow: state.repliesUsedInWindow + 1 }, result: 'taken' }
    let result: string | undefined
    assert.deepEqual(await counted(async () => { result = await store.update('45', takeOne) }), ['get', 'eval'])
    assert.equal(result, 'taken')
    assert.equal(JSON.parse(await a.redis.get(`${prefix}:quota:45`) ?? '{}').repliesUsedInWindow, 1)
    assert.equal(await store.update('46', takeOne), 'refused')
    assert.equal(await a.redis.exists(`${prefix}:quota:46`), 0)
  })

  test('a Redis older than 7.0 refuses SET with NX and GET: the store records with the compare-and-set script instead, and remembers', async (t) => {
    const url = redisUrl() as string
    const prefix = uniquePrefix()
    const redis = new Redis(url, { maxRetriesPerRequest: 1 })
    t.after(async () => { await deleteKeys(url, prefix); redis.disconnect() })
    await redis.ping()
    const sent: string[] = []
    const send = redis.sendCommand.bind(redis)
    // What Redis 6.2 answers to the new-fan batch: its SET … NX GET fails, and the batch answers that item's error.
    redis.sendCommand = ((command: { name: string, args: unknown[], resolve: (reply: unknown) => void, promise: Promise<unknown> }) => {
      sent.push(command.name)
      if (command.name === 'evalsha' && command.args.some((arg) => String(arg).includes(':quota:'))) {
        command.resolve([new ReplyError('ERR syntax error')])
        return command.promise
      }
      return send(command as never)
    }) as unknown as typeof redis.sendCommand
    const quota = createReplyQuota({ store: createRedisQuotaStore({ redis, prefix, limits: LIMITS, now: Date.now }), limits: LIMITS, now: Date.now, logger: captureLogs('info').logger })
    await quota.record({ type: 'text', sender_id: '47' })
    assert.deepEqual(sent, ['evalsha', 'eval'])
    assert.ok(JSON.parse(await redis.get(`${prefix}:quota:47`) ?? 'null') !== null, 'the fan was recorded')
    sent.length = 0
    await quota.record({ type: 'text', sender_id: '48' })
    assert.deepEqual(sent, ['eval'], 'SET NX GET is not tried again')
    await quota.take('47', 1)
  })
})

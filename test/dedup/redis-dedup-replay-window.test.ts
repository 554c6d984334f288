import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import type { Claim } from '../../src/dedup/dedup-store.ts'
import { createRedisDedupStore, type RedisDedupStore } from '../../src/dedup/redis-dedup-store.ts'
import { waitFor } from '../helpers/deferred.ts'
import { captureLogs } from '../helpers/logs.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

const KEY = '2489518277|Mon Jul 16 18:09:20 +0800 2012|b1946ac92492d234'
const TTL_MS = 60_000

interface Replica { store: RedisDedupStore, redis: Redis }

/** One replica's Redis dedup store on the shared test Redis, under the test's own prefix. */
function replica (t: TestContext, prefix: string, replayTtlMs: number): Replica {
  const url = redisUrl() ?? ''
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  const store = createRedisDedupStore({
    redis,
    subscriber: new Redis(url, { maxRetriesPerRequest: 1, autoResubscribe: false }),
    prefix,
    ttlMs: TTL_MS,
    replayTtlMs,
    pendingTtlMs: 5000,
    maxWaitMs: 5000,
    logger: captureLogs('info').logger
  })
  t.after(async () => { await store.close() })
  return { store, redis }
}

function setUp (t: TestContext, replayTtlMs: number): { a: Replica, b: Replica, prefix: string } {
  const prefix = uniquePrefix()
  t.after(async () => { await deleteKeys(redisUrl() ?? '', prefix) })
  return { a: replica(t, prefix, replayTtlMs), b: replica(t, prefix, replayTtlMs), prefix }
}

function settle (claim: Claim, answer: string): void {
  assert.equal(claim.role, 'owner')
  if (claim.role === 'owner') claim.settle(answer)
}

async function joinedAnswer (claim: Claim): Promise<{ answer: string, settled: boolean }> {
  assert.equal(claim.role, 'joiner')
  return claim.role === 'joiner' ? { answer: await claim.answer, settled: claim.settled } : { answer: 'not a joiner', settled: false }
}

/** Waits until the owner's MULTI (fire and forget) has reached Redis: the seen key says answered. */
async function answered (redis: Redis, seenKey: string): Promise<void> {
  for (let attempt = 0; attempt < 200 && (await redis.get(seenKey))?.startsWith('A') !== true; attempt++) await sleep(10)
}

describe('Redis dedup: the answer body for DEDUP_REPLAY_TTL_MS, the seen mark for DEDUP_TTL_MS', { skip: skipWithoutRedis }, () => {
  test('a retry inside the window gets the body; after it the body is gone from Redis, the push is still seen and a retry is answered blank', async (t) => {
    // Inside the window: a window of a minute, so a slow test process (load 15) cannot outlast it on Redis's clock.
    const inside = setUp(t, 60_000)
    settle(await inside.a.store.claim(KEY), 'the passive reply')
    await answered(inside.a.redis, `${inside.prefix}:dedup:${KEY}`)
    assert.deepEqual(await joinedAnswer(await inside.b.store.claim(KEY)), { answer: 'the passive reply', settled: true })
    const answerTtl = await inside.a.redis.pttl(`${inside.prefix}:dedup-answer:${KEY}`)
    assert.ok(answerTtl > 0 && answerTtl <= 60_000, `answer key PTTL ${answerTtl} ms, expected within DEDUP_REPLAY_TTL_MS`)

    // After it: a 300 ms window, waited out.
    const { a, b, prefix } = setUp(t, 300)
    const seenKey = `${prefix}:dedup:${KEY}`
    const answerKey = `${prefix}:dedup-answer:${KEY}`
    settle(await a.store.claim(KEY), 'the passive reply')
    await answered(a.redis, seenKey)
    assert.ok(await a.redis.pttl(seenKey) > TTL_MS - 5000, 'the seen mark lives for DEDUP_TTL_MS')
    assert.equal(await a.redis.get(seenKey), 'A', 'the seen mark holds no body')

    await sleep(450) // past the replay window: Redis has dropped the body itself, no lookup needed
    assert.equal(await a.redis.exists(answerKey), 0)
    assert.equal(await a.redis.exists(seenKey), 1)
    for (const replicaOf of [a, b]) {
      assert.deepEqual(await joinedAnswer(await replicaOf.store.claim(KEY)), { answer: '', settled: true }, 'recognised as seen, answered blank, as the memory store does')
    }
  })

  test('a blank answer stores no body, and neither does DEDUP_REPLAY_TTL_MS=0', async (t) => {
    for (const [replayTtlMs, answer] of [[60_000, ''], [0, 'a reply']] as const) {
      const { a, b, prefix } = setUp(t, replayTtlMs)
      settle(await a.store.claim(KEY), answer)
      await answered(a.redis, `${prefix}:dedup:${KEY}`)
      assert.equal(await a.redis.exists(`${prefix}:dedup-answer:${KEY}`), 0, `replay ${replayTtlMs} ms, answer "${answer}"`)
      assert.deepEqual(await joinedAnswer(await b.store.claim(KEY)), { answer: '', settled: true })
    }
  })

  test('with DEDUP_REPLAY_TTL_MS=0 a retry on another replica while the first copy runs still gets its reply (as in memory)', async (t) => {
    const { a, b, prefix } = setUp(t, 0)
    // Both stores subscribed to the answers channel first, as replicas are once started: an answer announced before
    // a store has subscribed cannot reach it, and with no body kept its poll reads a blank (a flake of CI at load 10).
    await waitFor(async () => Number((await a.redis.pubsub('NUMSUB', `${prefix}:dedup-answers`))[1]) === 2)
    const owner = await a.store.claim(KEY)
    const retry = await b.store.claim(KEY)
    assert.equal(retry.role === 'joiner' && !retry.settled, true, 'joins the copy in flight')
    settle(owner, 'the passive reply')
    assert.deepEqual(await joinedAnswer(retry), { answer: 'the passive reply', settled: false })
  })

  test('a seen key written by the earlier version (the body inside it) is still replayed', async (t) => {
    const { a, prefix } = setUp(t, 300)
    await a.redis.set(`${prefix}:dedup:${KEY}`, 'Aan older reply', 'PX', TTL_MS)
    assert.deepEqual(await joinedAnswer(await a.store.claim(KEY)), { answer: 'an older reply', settled: true })
  })
})

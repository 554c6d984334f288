import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { FAST_FAIL_OPTIONS } from '../../src/storage/redis-connection.ts'
import { createRedisSinceIdStore } from '../../src/push-stream/redis-since-id-store.ts'
import { createRedisStreamDedup } from '../../src/push-stream/redis-stream-dedup-store.ts'
import { freePort } from '../helpers/ports.ts'
import { captureLogs } from '../helpers/logs.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'
import { linesWithCode } from '../helpers/push-stream.ts'

async function connect (t: TestContext): Promise<{ redis: Redis, prefix: string }> {
  const url = redisUrl() ?? ''
  const prefix = `${uniquePrefix()}:`
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  t.after(async () => {
    await deleteKeys(url, prefix)
    redis.disconnect()
  })
  return { redis, prefix }
}

/** A client whose commands fail at once: nothing listens on its port and it has no offline queue. */
async function deadRedis (t: TestContext): Promise<Redis> {
  const redis = new Redis(`redis://127.0.0.1:${await freePort()}`, { ...FAST_FAIL_OPTIONS, retryStrategy: () => null })
  redis.on('error', () => {})
  t.after(() => { redis.disconnect() })
  return redis
}

describe('Redis since-id store', () => {
  test('saves and loads the position; only moves forward, across replicas sharing the key', { skip: skipWithoutRedis }, async (t) => {
    const { redis, prefix } = await connect(t)
    const key = `${prefix}stream:since-id:1001`
    const { logger } = captureLogs()
    const a = createRedisSinceIdStore({ redis, key, logger })
    const b = createRedisSinceIdStore({ redis, key, logger })
    assert.equal(await a.load(), undefined)
    a.save('4404160103598340123')
    await a.flush()
    b.save('999') // shorter: smaller, though '9' > '4' as text
    await b.flush()
    b.save('4404160103598340122')
    await b.flush()
    assert.equal(await redis.get(key), '4404160103598340123')
    b.save('4404160103598340124')
    await b.close()
    assert.equal(await a.load(), '4404160103598340124')
  })

  test('a key holding garbage: a warning, and a start like a first run', { skip: skipWithoutRedis }, async (t) => {
    const { redis, prefix } = await connect(t)
    const key = `${prefix}stream:since-id:1001`
    await redis.set(key, 'garbage')
    const logs = captureLogs()
    assert.equal(await createRedisSinceIdStore({ redis, key, logger: logs.logger }).load(), undefined)
    assert.ok(logs.lines().some((line) => line.level === 40))
  })

  test('Redis down: saves are logged once with the code, never thrown; load rejects so the client retries', async (t) => {
    const logs = captureLogs()
    const store = createRedisSinceIdStore({ redis: await deadRedis(t), key: 'k', logger: logs.logger })
    store.save('1')
    await store.flush()
    store.save('2')
    await store.close()
    assert.equal(linesWithCode(logs, 'WEIBO_ERR_STREAM_SINCE_ID_UNWRITABLE').length, 1)
    await assert.rejects(store.load())
  })
})

describe('Redis stream dedup', () => {
  test('claims an id once across replicas: a copy waits for the first claim to be handled, then is a duplicate', { skip: skipWithoutRedis }, async (t) => {
    const { redis, prefix } = await connect(t)
    const { logger } = captureLogs()
    const a = createRedisStreamDedup({ redis, prefix, ttlMs: 60_000, heartbeatMs: 100, logger })
    const b = createRedisStreamDedup({ redis, prefix, ttlMs: 60_000, heartbeatMs: 100, logger })
    t.after(async () => { await a.close?.(); await b.close?.() })
    assert.equal(await a.claim('4404160103598340123'), true)
    let copy: boolean | undefined
    const waiting = b.claim('4404160103598340123').then((claimed) => { copy = claimed })
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(copy, undefined, 'the copy waits while the first claim is in hand and its replica alive')
    a.settle?.('4404160103598340123')
    await waiting
    assert.equal(copy, false)
    assert.equal(await a.claim('4404160103598340123'), false, 'a replay in the same process is a duplicate too')
    const ttl = await redis.pttl(`${prefix}stream:seen:4404160103598340123`)
    assert.ok(ttl > 50_000 && ttl <= 60_000, `ttl ${ttl}`)
  })

  test('a record claimed by a process that died before handling it is taken over (at least once)', { skip: skipWithoutRedis }, async (t) => {
    const { redis, prefix } = await connect(t)
    const logs = captureLogs()
    // What a crash leaves: the claim, and no heartbeat (the dead process's alive key has expired).
    await redis.set(`${prefix}stream:seen:77`, 'P:deadbeefdeadbeef', 'PX', 60_000)
    const restarted = createRedisStreamDedup({ redis, prefix, heartbeatMs: 100, logger: logs.logger })
    t.after(async () => { await restarted.close?.() })
    assert.equal(await restarted.claim('77'), true)
    assert.ok(logs.lines().some((line) => /claimed by a process that stopped; taking it over/.test(String(line.msg))))
  })

  test('a crashed replica\'s claim is taken over once its heartbeat stops', { skip: skipWithoutRedis }, async (t) => {
    const { redis, prefix } = await connect(t)
    const { logger } = captureLogs()
    const crashed = createRedisStreamDedup({ redis, prefix, heartbeatMs: 50, logger })
    const survivor = createRedisStreamDedup({ redis, prefix, heartbeatMs: 50, logger })
    t.after(async () => { await survivor.close?.() })
    assert.equal(await crashed.claim('88'), true)
    await crashed.close?.() // its heartbeat stops; the claim stays, never settled
    assert.equal(await survivor.claim('88'), true)
  })

  test('a copy stops waiting after maxWaitMs and counts as a duplicate', { skip: skipWithoutRedis }, async (t) => {
    const { redis, prefix } = await connect(t)
    const { logger } = captureLogs()
    const slow = createRedisStreamDedup({ redis, prefix, heartbeatMs: 50, logger })
    const impatient = createRedisStreamDedup({ redis, prefix, heartbeatMs: 50, maxWaitMs: 200, logger })
    t.after(async () => { await slow.close?.(); await impatient.close?.() })
    assert.equal(await slow.claim('99'), true)
    assert.equal(await impatient.claim('99'), false)
  })

  test('Redis down: the record is taken as new (at-least-once), with a warning', async (t) => {
    const logs = captureLogs()
    let errors = 0
    const dedup = createRedisStreamDedup({ redis: await deadRedis(t), prefix: 'p:', logger: logs.logger, onError: () => { errors++ } })
    assert.equal(await dedup.claim('1'), true)
    assert.equal(await dedup.claim('1'), true)
    assert.equal(errors, 2)
    assert.ok(logs.lines().some((line) => line.level === 40 && /handling the record as new/.test(String(line.msg))))
  })
})

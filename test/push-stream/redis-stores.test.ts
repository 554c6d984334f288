import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { FAST_FAIL_OPTIONS } from '../../src/redis-connection.ts'
import { createRedisSinceIdStore } from '../../src/push-stream/redis-since-id-store.ts'
import { createRedisStreamDedup } from '../../src/push-stream/stream-dedup.ts'
import { freePort } from '../helpers/ports.ts'
import { captureLogs } from '../helpers/logs.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'
import { linesWithCode } from './helpers.ts'

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
  test('claims an id once across replicas, under <prefix>stream:seen:<id> with a TTL', { skip: skipWithoutRedis }, async (t) => {
    const { redis, prefix } = await connect(t)
    const { logger } = captureLogs()
    const a = createRedisStreamDedup({ redis, prefix, ttlMs: 60_000, logger })
    const b = createRedisStreamDedup({ redis, prefix, ttlMs: 60_000, logger })
    assert.equal(await a.claim('4404160103598340123'), true)
    assert.equal(await b.claim('4404160103598340123'), false)
    const ttl = await redis.pttl(`${prefix}stream:seen:4404160103598340123`)
    assert.ok(ttl > 50_000 && ttl <= 60_000, `ttl ${ttl}`)
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

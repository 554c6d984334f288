import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { createRedisReplayStore } from '../../src/replay/redis-replay-store.ts'
import { captureLogs } from '../helpers/logs.ts'
import { freePort } from '../helpers/ports.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

describe('the Redis replay store', () => {
  test('first, same, different; each entry expires with the ttl', { skip: skipWithoutRedis }, async (t) => {
    const url = redisUrl() ?? ''
    const prefix = uniquePrefix()
    const redis = new Redis(url)
    t.after(async () => { await deleteKeys(url, prefix); redis.disconnect() })
    const store = createRedisReplayStore({ redis, prefix, ttlMs: 60_000, logger: captureLogs().logger })
    assert.equal(await store.sight('q1', 'body-a'), 'first')
    assert.equal(await store.sight('q1', 'body-a'), 'same')
    assert.equal(await store.sight('q1', 'body-b'), 'different')
    assert.equal(await store.sight('q2', 'body-b'), 'first')
    const ttl = await redis.pttl(`${prefix}:replay:q1`)
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`)
  })

  test('Redis unreachable: the push goes through (first), counted and logged', async (t) => {
    const port = await freePort() // nothing listens there
    const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
    t.after(() => { redis.disconnect() })
    const logs = captureLogs()
    let errors = 0
    const store = createRedisReplayStore({ redis, prefix: 'unused', ttlMs: 1000, logger: logs.logger, onError: () => { errors++ } })
    assert.equal(await store.sight('q', 'b'), 'first')
    assert.equal(errors, 1)
    assert.ok(logs.lines().some((line) => String(line.msg).startsWith('replay store unavailable')))
  })
})

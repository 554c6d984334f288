import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { createHash } from 'node:crypto'
import { createRedisReplayStore } from '../../src/replay/redis-replay-store.ts'
import { sha1, sha256 } from '../../src/hash.ts'
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
    const q1 = sha1('q1', 'hex')
    const q2 = sha1('q2', 'hex')
    assert.equal(await store.sight(q1, sha256('body-a', 'hex')), 'first')
    assert.equal(await store.sight(q1, sha256('body-a', 'hex')), 'same')
    assert.equal(await store.sight(q1.toUpperCase(), sha256('body-a', 'hex')), 'same', 'a signature in capitals is the same query')
    assert.equal(await store.sight(q1, sha256('body-b', 'hex')), 'different')
    assert.equal(await store.sight(q2, sha256('body-b', 'hex')), 'first')
    // The key and value every earlier version wrote (the signature's bytes, 132 bits of the body's SHA-256, both in
    // base64url): replicas of two versions sharing one Redis during a rolling deploy agree on every query.
    const key = `${prefix}:replay:${Buffer.from(q1, 'hex').toString('base64url')}`
    assert.equal(await redis.get(key), createHash('sha256').update('body-a').digest('base64url').slice(0, 22))
    const ttl = await redis.pttl(key)
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`)
  })

  test('Redis unreachable: the push goes through (first), counted and logged', async (t) => {
    const port = await freePort() // nothing listens there
    const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
    t.after(() => { redis.disconnect() })
    const logs = captureLogs()
    let errors = 0
    const store = createRedisReplayStore({ redis, prefix: 'unused', ttlMs: 1000, logger: logs.logger, onError: () => { errors++ } })
    assert.equal(await store.sight(sha1('q', 'hex'), sha256('b', 'hex')), 'first')
    assert.equal(errors, 1)
    assert.ok(logs.lines().some((line) => String(line.msg).startsWith('replay store unavailable')))
  })
})

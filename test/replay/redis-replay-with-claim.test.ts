/**
 * On Redis the replay check rides on the dedup claim: one script makes the sighting and the claim, so a push pays
 * one round trip for both (scenario 1b: one command less per push). What must hold: a replay is refused and claims
 * nothing; a Weibo retry still joins; a push that is not claimed (malformed, of an unknown type) is still checked
 * first; and a Redis failure lets the push through, counted for both stores, as when they were asked apart.
 */
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { buildApp } from '../../src/app.ts'
import { createRedisDedupStore } from '../../src/dedup/redis-dedup-store.ts'
import { isFanbotError } from '../../src/errors.ts'
import { sha1 } from '../../src/hash.ts'
import { text } from '../../src/index.ts'
import { createRedisReplayStore } from '../../src/replay/redis-replay-store.ts'
import { createReplayGuard } from '../../src/replay/replay-guard.ts'
import { connectRedis, SUBSCRIBER_OPTIONS } from '../../src/storage/redis-connection.ts'
import { testConfig } from '../helpers/config.ts'
import { captureLogs } from '../helpers/logs.ts'
import { fixture, fixtureWith, signedQuery } from '../helpers/push.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

describe('the replay check made by the dedup claim on Redis', { skip: skipWithoutRedis }, () => {
  async function stores (t: TestContext, onError: { dedup: string[], replay: number } = { dedup: [], replay: 0 }): Promise<{ redis: Redis, prefix: string, sent: string[], claim: ReturnType<typeof createRedisDedupStore>['claim'], guard: ReturnType<typeof createReplayGuard> }> {
    const url = redisUrl() ?? ''
    const prefix = uniquePrefix()
    const logger = captureLogs('info').logger
    const redis = await connectRedis({ url, logger, name: 'test-sighted-claim' })
    const subscriber = await connectRedis({ url, logger, name: 'test-sighted-claim-sub', options: SUBSCRIBER_OPTIONS })
    const dedup = createRedisDedupStore({ redis, subscriber, logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: 5_000, onError: (operation) => { onError.dedup.push(operation) } })
    const guard = createReplayGuard(createRedisReplayStore({ redis, prefix, ttlMs: 60_000, logger, onError: () => { onError.replay++ } }))
    t.after(async () => { await dedup.close(); await deleteKeys(url, prefix) })
    await redis.ping()
    const sent: string[] = []
    const send = redis.sendCommand.bind(redis)
    redis.sendCommand = ((command: { name: string }) => { sent.push(command.name); return send(command as never) }) as typeof redis.sendCommand
    return { redis, prefix, sent, claim: dedup.claim, guard }
  }

  test('one command for both; a replay with another body is refused and claims nothing; the same body joins', async (t) => {
    const { redis, prefix, sent, claim, guard } = await stores(t)
    assert.ok(guard.defer !== undefined, 'the Redis guard defers its check')
    const query = sha1('query', 'hex')
    const first = await claim('push-1', guard.defer(query, Buffer.from('body')))
    assert.equal(first.role, 'owner')
    assert.deepEqual(sent, ['evalsha'], 'the sighting and the claim: one script')
    await assert.rejects(async () => await claim('push-2', guard.defer?.(query, Buffer.from('forged body'))),
      (error: unknown) => isFanbotError(error) && error.code === 'WEIBO_ERR_SIGNATURE_REPLAYED')
    assert.equal(await redis.exists(`${prefix}:dedup:push-2`), 0, 'a refused replay claims nothing')
    const retry = await claim('push-1', guard.defer(query, Buffer.from('body')))
    assert.ok(retry.role === 'joiner', 'the same query with its own body is a Weibo retry')
    // The sighting was written as the replay store writes it: the store on its own agrees.
    await assert.rejects(async () => { await guard.check(query, Buffer.from('forged body')) })
  })

  test('Redis failing the claim lets the push through as new, counted as a claim and a replay failure', async (t) => {
    const errors = { dedup: [] as string[], replay: 0 }
    const { redis, claim, guard } = await stores(t, errors)
    redis.disconnect() // no offline queue: the next command fails at once
    const claimed = await claim('push-3', guard.defer?.(sha1('q3', 'hex'), Buffer.from('body')))
    assert.equal(claimed.role, 'owner')
    assert.deepEqual(errors, { dedup: ['claim'], replay: 1 })
  })

  test('Redis refusing the replay write (an older Redis, a wrong key type) still claims: dedup holds, the check is counted as failed', async (t) => {
    const errors = { dedup: [] as string[], replay: 0 }
    const { redis, prefix, claim, guard } = await stores(t, errors)
    const query = sha1('q4', 'hex')
    // A hash where the replay store keeps a string: SET on it fails inside the script, as SET NX GET does on Redis 6.
    await redis.hset(`${prefix}:replay:${Buffer.from(query, 'hex').toString('base64url')}`, 'field', 'value')
    const first = await claim('push-4', guard.defer?.(query, Buffer.from('body')))
    assert.equal(first.role, 'owner')
    const retry = await claim('push-4', guard.defer?.(query, Buffer.from('body')))
    assert.equal(retry.role, 'joiner', 'the retry joins: dedup is not lost with the replay check')
    assert.deepEqual(errors, { dedup: [], replay: 2 })
  })

  test('through the app: a replayed query is refused with 401 even when its body is malformed or of an unknown type; a malformed first try is remembered', async (t) => {
    const url = redisUrl() ?? ''
    const prefix = uniquePrefix()
    t.after(async () => { await deleteKeys(url, prefix) })
    let runs = 0
    const app = await buildApp({
      config: testConfig({ NODE_ENV: 'production', REDIS_URL: url, REDIS_KEY_PREFIX: prefix, OUTBOX_CONCURRENCY: '0' }),
      handlers: [{ on: 'text', handle: (message) => { runs++; return text(`echo ${message.text}`) } }]
    })
    t.after(async () => { await app.close() })
    const post = async (query: string, body: string): Promise<{ status: number, code?: string }> => {
      const response = await app.inject({ method: 'POST', url: `/weibo?${query}`, headers: { 'content-type': 'application/json' }, payload: body })
      return response.statusCode === 200 ? { status: 200 } : { status: response.statusCode, code: response.json<{ code: string }>().code }
    }
    const query = signedQuery()
    assert.deepEqual(await post(query, fixture('text')), { status: 200 })
    assert.deepEqual(await post(query, '{"type": "text", "not json'), { status: 401, code: 'WEIBO_ERR_SIGNATURE_REPLAYED' })
    assert.deepEqual(await post(query, fixtureWith('text', { type: 'hologram' })), { status: 401, code: 'WEIBO_ERR_SIGNATURE_REPLAYED' })
    assert.deepEqual(await post(query, fixtureWith('text', { text: 'forged' })), { status: 401, code: 'WEIBO_ERR_SIGNATURE_REPLAYED' })
    assert.deepEqual(await post(query, fixture('text')), { status: 200 }, 'the retry with its own body')
    assert.equal(runs, 1)
    const malformedFirst = signedQuery()
    assert.equal((await post(malformedFirst, '{"type": "text", "not json')).status, 400)
    assert.deepEqual(await post(malformedFirst, fixture('text')), { status: 401, code: 'WEIBO_ERR_SIGNATURE_REPLAYED' })
    assert.equal(runs, 1)
  })
})

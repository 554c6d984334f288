import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { text, type Handler } from '../../src/index.ts'
import { createMemoryReplayStore } from '../../src/replay/memory-replay-store.ts'
import { sha1, sha256 } from '../../src/hash.ts'
import { replayMemoryMs } from '../../src/replay/replay-guard.ts'
import { startTestApp } from '../helpers/app.ts'
import { testConfig } from '../helpers/config.ts'
import { fixture, fixtureWith, signedQuery } from '../helpers/push.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

const post = async (app: FastifyInstance, query: string, body: string): Promise<{ status: number, code: string | undefined, body: string }> => {
  const response = await app.inject({ method: 'POST', url: `/weibo?${query}`, headers: { 'content-type': 'application/json' }, payload: body })
  const code = response.statusCode === 200 ? undefined : response.json<{ code: string }>().code
  return { status: response.statusCode, code, body: response.body }
}

function countingHandler (): { handlers: Handler[], runs: () => number } {
  let runs = 0
  return { handlers: [{ on: 'text', handle: (message) => { runs++; return text(`echo ${message.text}`) } }], runs: () => runs }
}

describe('replay protection in production defaults', () => {
  test('production turns on a 5-minute freshness window and the replay check; elsewhere both are off unless asked', () => {
    const production = loadConfig({ NODE_ENV: 'production', WEIBO_APP_SECRET: 's' })
    assert.equal(production.signatureMaxAgeMs, 300_000)
    assert.equal(production.replayProtection, true)
    const development = loadConfig({})
    assert.equal(development.signatureMaxAgeMs, 0)
    assert.equal(development.replayProtection, false)
    const explicit = loadConfig({ NODE_ENV: 'production', WEIBO_APP_SECRET: 's', SIGNATURE_MAX_AGE_MS: '0', REPLAY_PROTECTION: 'false' })
    assert.equal(explicit.signatureMaxAgeMs, 0)
    assert.equal(explicit.replayProtection, false)
  })

  test('a signed query replayed with another body gets 401; with its own body it is a retry (deduplicated)', async (t) => {
    const { handlers, runs } = countingHandler()
    const { app } = await startTestApp(t, { handlers, env: { NODE_ENV: 'production' } })
    const query = signedQuery()
    const first = await post(app, query, fixture('text'))
    assert.equal(first.status, 200)
    const forged = await post(app, query, fixtureWith('text', { sender_id: 9999, text: 'forged' }))
    assert.equal(forged.status, 401)
    assert.equal(forged.code, 'WEIBO_ERR_SIGNATURE_REPLAYED')
    const retry = await post(app, query, fixture('text'))
    assert.equal(retry.status, 200)
    assert.equal(retry.body, first.body, 'the retry gets the first answer')
    assert.equal(runs(), 1, 'the handler ran for the first copy only')
  })

  test('a timestamp an hour old gets 401; seconds and milliseconds both read', async (t) => {
    const { handlers, runs } = countingHandler()
    const { app } = await startTestApp(t, { handlers, env: { NODE_ENV: 'production' } })
    const hourAgo = Date.now() - 3_600_000
    assert.equal((await post(app, signedQuery({ timestamp: String(hourAgo) }), fixture('text'))).code, 'WEIBO_ERR_SIGNATURE_EXPIRED')
    assert.equal((await post(app, signedQuery({ timestamp: String(Math.floor(hourAgo / 1000)) }), fixture('text'))).code, 'WEIBO_ERR_SIGNATURE_EXPIRED')
    assert.equal((await post(app, signedQuery({ timestamp: String(Math.floor(Date.now() / 1000)) }), fixture('text'))).status, 200)
    assert.equal(runs(), 1)
  })

  test('off outside production by default: a reused query with another body is handled (tests and development)', async (t) => {
    const { handlers, runs } = countingHandler()
    const { app } = await startTestApp(t, { handlers })
    const query = signedQuery()
    assert.equal((await post(app, query, fixture('text'))).status, 200)
    assert.equal((await post(app, query, fixtureWith('text', { text: 'other' }))).status, 200)
    assert.equal(runs(), 2)
  })
})

describe('the memory replay store', () => {
  // A signed query's verified signature (40 hex digits) and a body's SHA-256, as the guard hands them over.
  const query = (name: string): string => sha1(name, 'hex')
  const body = (text: string): string => sha256(text, 'hex')

  test('is bounded by max and forgets after its ttl', () => {
    let now = 1_000_000
    const store = createMemoryReplayStore({ max: 2, ttlMs: 1000, perf: { now: () => now } })
    assert.equal(store.sight(query('a'), body('x')), 'first')
    assert.equal(store.sight(query('a'), body('x')), 'same')
    assert.equal(store.sight(query('a'), body('y')), 'different')
    store.sight(query('b'), body('x'))
    store.sight(query('c'), body('x')) // evicts a (max 2)
    assert.equal(store.sight(query('a'), body('y')), 'first')
    assert.equal(store.sight(query('c'), body('z')), 'different')
    now += 1001
    assert.equal(store.sight(query('c'), body('z')), 'first', 'expired')
  })

  test('a signature in capitals is the same query', () => {
    const store = createMemoryReplayStore({ max: 10, ttlMs: 1000 })
    assert.equal(store.sight(query('a'), body('x')), 'first')
    assert.equal(store.sight(query('a').toUpperCase(), body('x')), 'same')
    assert.equal(store.sight(query('a').toUpperCase(), body('y')), 'different')
  })

  test('keeps every query\'s body through the ring\'s growth, and tells bodies apart by their digest', () => {
    const store = createMemoryReplayStore({ max: 100_000, ttlMs: 60_000 })
    const count = 5000 // the ring starts at 1,024 records and doubles: three growths
    for (let n = 0; n < count; n++) assert.equal(store.sight(query(`q${n}`), body(`body ${n}`)), 'first')
    for (let n = 0; n < count; n++) {
      assert.equal(store.sight(query(`q${n}`), body(`body ${n}`)), 'same', `q${n}`)
      assert.equal(store.sight(query(`q${n}`), body(`body ${n + 1}`)), 'different', `q${n} with another body`)
    }
    // Two bodies whose digests share their first 32 bits are still told apart: the tag has 64.
    const first = body('body 0')
    // The 15th hex digit: in the second 32-bit word of the tag.
    const twin = `${first.slice(0, 14)}${first[14] === '0' ? '1' : '0'}${first.slice(15)}`
    assert.equal(store.sight(query('q0'), twin), 'different')
  })

  test('remembers a query as long as its timestamp can pass the freshness check', () => {
    assert.equal(replayMemoryMs({ signatureMaxAgeMs: 300_000, dedupTtlMs: 60_000 }), 600_000)
    assert.equal(replayMemoryMs({ signatureMaxAgeMs: 0, dedupTtlMs: 60_000 }), 60_000)
  })
})

describe('replay protection shared on Redis', { skip: skipWithoutRedis }, () => {
  async function replicas (t: TestContext, handlers: Handler[]): Promise<[FastifyInstance, FastifyInstance]> {
    const url = redisUrl() ?? ''
    const prefix = uniquePrefix()
    t.after(async () => { await deleteKeys(url, prefix) })
    const start = async (): Promise<FastifyInstance> => {
      const app = await buildApp({ config: testConfig({ NODE_ENV: 'production', REDIS_URL: url, REDIS_KEY_PREFIX: prefix, OUTBOX_CONCURRENCY: '0' }), handlers })
      t.after(async () => { await app.close() })
      return app
    }
    return [await start(), await start()]
  }

  test('a query first seen on replica A, replayed on replica B with another body, gets 401; with its own body, a retry', async (t) => {
    const { handlers, runs } = countingHandler()
    const [a, b] = await replicas(t, handlers)
    const query = signedQuery()
    const first = await post(a, query, fixture('text'))
    assert.equal(first.status, 200)
    const forged = await post(b, query, fixtureWith('text', { text: 'forged on another replica' }))
    assert.equal(forged.code, 'WEIBO_ERR_SIGNATURE_REPLAYED')
    const retry = await post(b, query, fixture('text'))
    assert.equal(retry.status, 200)
    assert.equal(retry.body, first.body)
    assert.equal(runs(), 1)
  })
})

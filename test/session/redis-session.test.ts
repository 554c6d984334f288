import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { createLogger } from '../../src/logger.ts'
import { createRedisFanQueue } from '../../src/session/redis-fan-queue.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { createMemorySessionStore } from '../../src/session/memory-session-store.ts'
import type { FanQueue, LeaveTurn } from '../../src/session/fan-queue.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'
import { waitFor } from '../helpers/deferred.ts'
import { createFanTurns } from '../../src/session/fan-turn.ts'
import { createHandlerRouter } from '../../src/handler-router.ts'
import { normaliseHandlers } from '../../src/handler-loader.ts'
import { readPush } from '../../src/push-reader.ts'
import { text } from '../../src/reply.ts'
import type { WeiboApiClient } from '../../src/weibo-api/client.ts'
import { fixtureWith } from '../helpers/push.ts'

const silent = createLogger({ level: 'silent' })

async function connection (t: TestContext): Promise<Redis> {
  const redis = new Redis(redisUrl() ?? '', { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  t.after(() => { redis.disconnect() })
  return redis
}

async function prefixFor (t: TestContext): Promise<string> {
  const prefix = uniquePrefix()
  t.after(async () => { await deleteKeys(redisUrl() ?? '', prefix) })
  return prefix
}

describe('session stores: compare-and-set on the version', () => {
  const cases = [
    ['memory', async () => createMemorySessionStore({ max: 10, ttlMs: 60_000 })],
    ['redis', async (t: TestContext) => createRedisSessionStore({ redis: await connection(t), prefix: await prefixFor(t), ttlMs: 60_000 })]
  ] as const
  for (const [kind, make] of cases) {
    test(`${kind}: a save over a stale version is refused; the applied keys come back with the session`, { skip: kind === 'redis' ? skipWithoutRedis : false }, async (t) => {
      const store = await make(t)
      const empty = await store.load('acct:fan')
      assert.deepEqual(empty, { json: '{}', version: 0, applied: [] })
      assert.equal(await store.save({ key: 'acct:fan', expectedVersion: 0, json: '{"a":1}', applied: ['k1'] }), true)
      // A second run that loaded version 0 too (its turn lost) cannot write over the first one's change.
      assert.equal(await store.save({ key: 'acct:fan', expectedVersion: 0, json: '{"a":2}', applied: ['k2'] }), false)
      assert.deepEqual(await store.load('acct:fan'), { json: '{"a":1}', version: 1, applied: ['k1'] })
      assert.deepEqual(await store.load('acct:other'), { json: '{}', version: 0, applied: [] })
    })
  }

  test('redis: the session expires SESSION_TTL_MS after the fan\'s last message, and each message restarts it', { skip: skipWithoutRedis }, async (t) => {
    const redis = await connection(t)
    const prefix = await prefixFor(t)
    const store = createRedisSessionStore({ redis, prefix, ttlMs: 60_000 })
    await store.save({ key: 'a:f', expectedVersion: 0, json: '{}', applied: [] })
    await redis.pexpire(`${prefix}:session:a:f`, 5000) // as if most of the TTL had passed
    await store.load('a:f')
    assert.ok(await redis.pttl(`${prefix}:session:a:f`) > 50_000)
  })

  test('memory: the session expires SESSION_TTL_MS after the fan\'s last message', () => {
    let now = 1_000_000
    const store = createMemorySessionStore({ max: 10, ttlMs: 1000, perf: { now: () => now } })
    store.save({ key: 'a:f', expectedVersion: 0, json: '{"x":1}', applied: [] })
    now += 900
    assert.equal((store.load('a:f') as { json: string }).json, '{"x":1}') // a message: the TTL starts again
    now += 900
    assert.equal((store.load('a:f') as { json: string }).json, '{"x":1}')
    now += 1001
    assert.equal((store.load('a:f') as { json: string }).json, '{}')
  })
})

describe('fan queue on Redis, shared by replicas', { skip: skipWithoutRedis }, () => {
  async function twoReplicas (t: TestContext, leaseMs = 10_000): Promise<[FanQueue, FanQueue]> {
    const prefix = await prefixFor(t)
    const make = async (): Promise<FanQueue> => {
      const queue = createRedisFanQueue({ redis: await connection(t), prefix, leaseMs, pollMs: 10, logger: silent })
      t.after(async () => { await queue.close() })
      return queue
    }
    return [await make(), await make()]
  }
  const signal = new AbortController().signal

  test('one fan at a time across replicas, by created_at then arrival; other fans never wait', async (t) => {
    const [a, b] = await twoReplicas(t)
    const leaveFirst = await a.enter({ fanKey: 'acct:fan', createdAtMs: 1000, signal })
    const order: string[] = []
    const queued = (queue: FanQueue, name: string, createdAtMs: number): Promise<void> =>
      queue.enter({ fanKey: 'acct:fan', createdAtMs, signal }).then((leave: LeaveTurn) => { order.push(name); leave() })
    const waiting = [queued(b, 'b@5000', 5000)]
    await new Promise((resolve) => setTimeout(resolve, 30))
    waiting.push(queued(a, 'a@3000', 3000))
    await new Promise((resolve) => setTimeout(resolve, 30))
    waiting.push(queued(b, 'b@3000', 3000))
    // Another fan goes straight in on either replica.
    const other = await b.enter({ fanKey: 'acct:other', createdAtMs: 1, signal })
    other()
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.deepEqual(order, [])
    leaveFirst()
    await Promise.all(waiting)
    assert.deepEqual(order, ['a@3000', 'b@3000', 'b@5000'])
  })

  test('a replica that died holding a fan\'s turn holds it at most FAN_QUEUE_LEASE_MS', async (t) => {
    const [a, b] = await twoReplicas(t, 300)
    await a.enter({ fanKey: 'acct:fan', createdAtMs: 1000, signal })
    await a.close() // "dies": its lease is no longer renewed, and it never leaves
    const started = Date.now()
    const leave = await b.enter({ fanKey: 'acct:fan', createdAtMs: 2000, signal })
    leave()
    const waited = Date.now() - started
    assert.ok(waited >= 150 && waited < 3000, `waited ${waited} ms`)
  })

  test('a push waiting for its turn gives up at shutdown and leaves the line', async (t) => {
    const [a, b] = await twoReplicas(t)
    const leave = await a.enter({ fanKey: 'acct:fan', createdAtMs: 1000, signal })
    const shutdown = new AbortController()
    const waiting = b.enter({ fanKey: 'acct:fan', createdAtMs: 2000, signal: shutdown.signal })
    await new Promise((resolve) => setTimeout(resolve, 30))
    shutdown.abort(new Error('shutting down'))
    await assert.rejects(waiting, /shutting down/)
    leave()
    await waitFor(() => b.size === 0)
    const next = await b.enter({ fanKey: 'acct:fan', createdAtMs: 3000, signal })
    next()
  })
})

test('redis: a push run again on another replica (its dedup entry lost) does not change the session twice', { skip: skipWithoutRedis }, async (t) => {
  const prefix = await prefixFor(t)
  let runs = 0
  const router = createHandlerRouter(normaliseHandlers({
    file: '<inline>',
    exported: { on: 'text', session: true, handle: (_m: unknown, ctx: { session: { n?: number } }) => { runs++; ctx.session.n = (ctx.session.n ?? 0) + 1; return text(String(ctx.session.n)) } }
  }), silent)
  const replica = async () => {
    const redis = await connection(t)
    const queue = createRedisFanQueue({ redis, prefix, leaseMs: 10_000, logger: silent })
    t.after(async () => { await queue.close() })
    return createFanTurns({ router, middleware: [], sessions: createRedisSessionStore({ redis, prefix, ttlMs: 60_000 }), queue, api: {} as WeiboApiClient, logger: silent, handlerTimeoutMs: 5000 })
  }
  const [a, b] = [await replica(), await replica()]
  const reading = readPush(fixtureWith('text', { text: 'once' }))
  assert.ok(reading.kind === 'message')
  const input = { message: reading.message, dedupKey: 'same-push', shutdownSignal: new AbortController().signal }
  assert.equal((await a.run(input)).run.status, 'reply')
  assert.equal((await b.run(input)).run.status, 'none')
  assert.equal(runs, 1)
  assert.equal((await b.run({ ...input, dedupKey: 'next-push' })).run.status, 'reply')
  assert.equal(runs, 2)
})

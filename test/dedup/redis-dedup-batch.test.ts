/**
 * The Redis dedup store sends the claims of one event-loop turn as one command (src/redis-script-batch.ts), and the
 * settles of one turn as another. Batched or not, each push must get what a claim of its own would give it: the
 * first copy owns, a retry of it in the same turn joins and gets the owner's answer, a signed query replayed with
 * another body is refused and claims nothing, and an item Redis fails is handled as new without taking the others
 * with it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { createRedisDedupStore } from '../../src/dedup/redis-dedup-store.ts'
import type { DeferredSighting } from '../../src/dedup/deferred-sighting.ts'
import { connectRedis, SUBSCRIBER_OPTIONS } from '../../src/storage/redis-connection.ts'
import { captureLogs } from '../helpers/logs.ts'
import { freePort } from '../helpers/ports.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, startOwnRedis, uniquePrefix } from '../helpers/redis.ts'

class Replayed extends Error {}

function sighting (key: string, value: string, failures: unknown[]): DeferredSighting {
  return {
    key,
    value,
    ttlMs: 60_000,
    failed: (error) => { failures.push(error) },
    check: async () => { throw new Error('not claimed: never checked on its own here') },
    refuse: () => { throw new Replayed(key) }
  }
}

/** A store on `url` under `prefix`, with its two connections, and the operations it counted as failed. */
async function openStore (url: string, prefix: string, name: string): Promise<{ store: ReturnType<typeof createRedisDedupStore>, redis: Redis, subscriber: Redis, errors: string[] }> {
  const logger = captureLogs('info').logger
  const redis = await connectRedis({ url, logger, name })
  const subscriber = await connectRedis({ url, logger, name: `${name}-sub`, options: SUBSCRIBER_OPTIONS })
  const errors: string[] = []
  const store = createRedisDedupStore({
    redis, subscriber, logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: 5_000, onError: (operation) => { errors.push(operation) }
  })
  return { store, redis, subscriber, errors }
}

test('claims of one turn share one command, and each push gets what a claim of its own would give it', { skip: skipWithoutRedis }, async (t) => {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const { store, redis, errors } = await openStore(url, prefix, 'test-dedup-batch')
  t.after(async () => { await store.close(); await deleteKeys(url, prefix) })
  await redis.set(`${prefix}:replay:seen-before`, 'digest-of-the-first-body', 'PX', 60_000)
  await redis.hset(`${prefix}:dedup:broken`, 'field', 'value') // a key of the wrong type: Redis fails that item
  const sent: string[] = []
  const send = redis.sendCommand.bind(redis)
  redis.sendCommand = ((command: { name: string }) => { sent.push(command.name); return send(command as never) }) as typeof redis.sendCommand

  const failures: unknown[] = []
  const claims = await Promise.allSettled([
    store.claim('first', sighting(`${prefix}:replay:q1`, 'd1', failures)),
    store.claim('first', sighting(`${prefix}:replay:q2`, 'd1', failures)), // Weibo's retry, signed anew, same turn
    store.claim('forged', sighting(`${prefix}:replay:seen-before`, 'another body', failures)),
    store.claim('broken'),
    store.claim('second')
  ])
  const scripts = (): string[] => sent.filter((name) => name.startsWith('eval')) // the joiner's poll reads (MGET) aside
  assert.deepEqual(scripts(), ['evalsha'], 'the five claims went in one command')
  const [first, retry, forged, broken, second] = claims.map((claim) => claim.status === 'fulfilled' ? claim.value : claim.reason as unknown)
  assert.equal((first as { role: string }).role, 'owner')
  assert.ok(retry !== undefined && (retry as { role: string }).role === 'joiner' && !(retry as { settled: boolean }).settled, 'the retry joins the first copy')
  assert.ok(forged instanceof Replayed, 'the replayed query with another body is refused')
  assert.equal(await redis.exists(`${prefix}:dedup:forged`), 0, 'and claims nothing')
  assert.equal((broken as { role: string }).role, 'owner', 'an item Redis failed is handled as new')
  assert.deepEqual(errors, ['claim'], 'with the failure counted')
  assert.equal((second as { role: string }).role, 'owner', 'the item after the failed one was claimed')
  assert.deepEqual(failures, [])

  // The settles of one turn go in one command too; the joiner in this process gets its answer at once.
  sent.length = 0
  if ((first as { role: string }).role === 'owner') (first as { settle: (answer: string) => void }).settle('answer one');
  (second as { settle: (answer: string) => void }).settle('answer two')
  assert.equal(await (retry as { answer: Promise<string> }).answer, 'answer one')
  await new Promise((resolve) => setImmediate(resolve))
  const later = await Promise.all([store.claim('first'), store.claim('second')])
  assert.deepEqual(later, [{ role: 'joiner', settled: true, answer: 'answer one' }, { role: 'joiner', settled: true, answer: 'answer two' }])
  assert.deepEqual(scripts(), ['evalsha', 'evalsha'], 'one command for the two settles, one for the two claims after them')
})

test('a Redis user limited to the bot\'s key prefix (ACL) can claim without a replay check: no key outside the prefix is named', { skip: skipWithoutRedis }, async (t) => {
  const own = await startOwnRedis(await freePort())
  t.after(async () => { await own.stop() })
  const admin = new Redis(own.url)
  t.after(() => { admin.disconnect() })
  await admin.acl('SETUSER', 'bot', 'on', '>bot-password', '~fx:*', '&*', '+@all')
  const { store, errors } = await openStore(own.url.replace('redis://', 'redis://bot:bot-password@'), 'fx', 'test-dedup-acl')
  t.after(async () => { await store.close() })
  const failures: unknown[] = []
  const [first, retry, signed] = await Promise.all([store.claim('p1'), store.claim('p1'), store.claim('p2', sighting('fx:replay:q', 'd', failures))])
  assert.equal(first.role, 'owner')
  assert.equal(retry.role, 'joiner', 'the retry joins: the claim was not refused')
  assert.equal(signed.role, 'owner')
  assert.deepEqual(errors, [])
  assert.deepEqual(failures, [])
})

test('closing the store sends the settle given in the same turn before it quits', { skip: skipWithoutRedis }, async (t) => {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const { store, subscriber, errors } = await openStore(url, prefix, 'test-dedup-close')
  const control = new Redis(url)
  t.after(async () => { control.disconnect(); await deleteKeys(url, prefix) })
  const claim = await store.claim('last')
  assert.equal(claim.role, 'owner')
  // The subscriber down already (it is then disconnected, not quit): nothing else gives the turn time to end.
  subscriber.disconnect()
  if (claim.role === 'owner') claim.settle('the last answer')
  await store.close()
  assert.equal(await control.get(`${prefix}:dedup:last`), 'A', 'the push is answered, not left in flight')
  assert.equal(await control.get(`${prefix}:dedup-answer:last`), 'the last answer')
  assert.deepEqual(errors, [])
})

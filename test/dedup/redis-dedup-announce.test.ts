/**
 * The owner announces its answer on the channel only when a retry waits for it. Every replica hears every message,
 * so announcing each push cost each replica a read per push for nothing (scenario 1b); a waiting retry marks the
 * push (`W`) and is woken by the announcement, not by its poll (30 s here, so only the channel can answer in time).
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { createRedisDedupStore } from '../../src/dedup/redis-dedup-store.ts'
import { connectRedis, SUBSCRIBER_OPTIONS } from '../../src/storage/redis-connection.ts'
import { captureLogs } from '../helpers/logs.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

const POLL_MS = 30_000

test('an answer nobody waits for is not published; one a retry on another replica waits for is, and wakes it', { skip: skipWithoutRedis }, async (t) => {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const logger = captureLogs('info').logger
  const replica = async (name: string): Promise<ReturnType<typeof createRedisDedupStore>> => {
    const redis = await connectRedis({ url, logger, name })
    const subscriber = await connectRedis({ url, logger, name: `${name}-sub`, options: SUBSCRIBER_OPTIONS })
    const store = createRedisDedupStore({ redis, subscriber, logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: POLL_MS, pollMs: POLL_MS })
    t.after(async () => { await store.close() })
    return store
  }
  const listener = await connectRedis({ url, logger, name: 'test-announce-listener', options: SUBSCRIBER_OPTIONS })
  t.after(async () => { listener.disconnect(); await deleteKeys(url, prefix) })
  const heard: string[] = []
  listener.on('message', (_channel: string, message: string) => { heard.push(message) })
  await listener.subscribe(`${prefix}:dedup-answers`)
  const a = await replica('test-announce-a')
  const b = await replica('test-announce-b')

  // Nobody waits: answered, not announced.
  const alone = await a.claim('alone')
  assert.equal(alone.role, 'owner')
  if (alone.role === 'owner') alone.settle('first answer')
  // A retry after the answer gets it from the claim itself.
  const late = await b.claim('alone')
  assert.deepEqual(late, { role: 'joiner', settled: true, answer: 'first answer' })

  // A retry on B while A still runs waits, and is woken by the announcement long before its next poll.
  const owner = await a.claim('waited')
  assert.equal(owner.role, 'owner')
  const joined = await b.claim('waited')
  assert.ok(joined.role === 'joiner' && !joined.settled)
  const message = once(listener, 'message')
  if (owner.role === 'owner') owner.settle('second answer')
  const woken = await Promise.race([joined.answer, new Promise((resolve) => setTimeout(resolve, 5_000, 'not woken'))])
  assert.equal(woken, 'second answer')
  await message
  // Redis delivers in order: an announcement of the first push would have come before this one.
  assert.deepEqual(heard, [`${'waited'.length}:waitedsecond answer`])
})

test('with DEDUP_REPLAY_TTL_MS=0 a reply is announced even unmarked: a waiting replica of the earlier version marks nothing, and no body is kept for its poll', { skip: skipWithoutRedis }, async (t) => {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const logger = captureLogs('info').logger
  const redis = await connectRedis({ url, logger, name: 'test-announce-0' })
  const subscriber = await connectRedis({ url, logger, name: 'test-announce-0-sub', options: SUBSCRIBER_OPTIONS })
  const store = createRedisDedupStore({ redis, subscriber, logger, prefix, ttlMs: 60_000, replayTtlMs: 0, pendingTtlMs: 60_000, maxWaitMs: POLL_MS, pollMs: POLL_MS })
  const listener = await connectRedis({ url, logger, name: 'test-announce-0-listener', options: SUBSCRIBER_OPTIONS })
  t.after(async () => { listener.disconnect(); await store.close(); await deleteKeys(url, prefix) })
  const heard: string[] = []
  listener.on('message', (_channel: string, message: string) => { heard.push(message) })
  await listener.subscribe(`${prefix}:dedup-answers`)

  const blank = await store.claim('blank')
  if (blank.role === 'owner') blank.settle('') // a blank answer needs no announcement: a poll reads it as blank
  const owner = await store.claim('reply')
  const message = once(listener, 'message')
  if (owner.role === 'owner') owner.settle('the reply')
  assert.notEqual(await Promise.race([message, new Promise((resolve) => setTimeout(resolve, 5_000, 'not announced'))]), 'not announced')
  assert.deepEqual(heard, [`${'reply'.length}:replythe reply`])
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { dedupKey } from '../../src/dedup/dedup-key.ts'
import { createMemoryDedupStore, type Answer, type Claim, type DedupStore } from '../../src/dedup/dedup-store.ts'
import type { Message } from '../../src/message-schema.ts'
import { readPush } from '../../src/push-reader.ts'
import { fixture, fixtureWith } from '../helpers/push.ts'

function message (raw: string): Message {
  const reading = readPush(raw)
  assert.ok(reading.kind === 'message')
  return reading.message
}

async function owner (store: DedupStore, key: string): Promise<(answer: Answer) => void> {
  const claim: Claim = await store.claim(key)
  assert.equal(claim.role, 'owner', `${key} should be claimed as owner`)
  if (claim.role !== 'owner') throw new Error('unreachable')
  return claim.settle
}

/** Claims `key` as a retry; the answer comes wrapped, since an async function would wait for a returned promise. */
async function joiner (store: DedupStore, key: string): Promise<{ answer: Promise<Answer> }> {
  const claim: Claim = await store.claim(key)
  assert.equal(claim.role, 'joiner', `${key} should be claimed as joiner`)
  if (claim.role !== 'joiner') throw new Error('unreachable')
  return { answer: claim.answer }
}

/** Claims `key` as a retry and waits for its answer. */
async function joinedAnswer (store: DedupStore, key: string): Promise<Answer> {
  return await (await joiner(store, key)).answer
}

/** Whether `promise` has settled, checked after letting pending callbacks run (no timers). */
async function isSettled (promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  promise.then(() => { settled = true }, () => { settled = true })
  await new Promise((resolve) => setImmediate(resolve))
  return settled
}

/** A clock the test moves by hand. It starts above 0: lru-cache treats a start time of 0 as "no TTL". */
function fakeClock (start = 1_000): { now: () => number, advance: (ms: number) => void } {
  let time = start
  return { now: () => time, advance: (ms) => { time += ms } }
}

describe('dedupKey', () => {
  const created = 'Mon Jul 16 18:09:20 +0800 2012'

  test('the same push gives the same key every time it is read', () => {
    for (const name of ['text', 'image', 'event-scan', 'mention-comment']) {
      assert.equal(dedupKey(message(fixture(name))), dedupKey(message(fixture(name))), name)
    }
  })

  test('the same push with ids written as numbers or strings gives the same key', () => {
    assert.equal(dedupKey(message(fixture('text'))), dedupKey(message(fixtureWith('text', { sender_id: '2489518277' }))))
  })

  test('starts with receiver_id|sender_id|created_at|', () => {
    const key = dedupKey(message(fixture('text')))
    assert.ok(key.startsWith(`1902538057|2489518277|${created}|`), key)
    assert.ok(key.length > `1902538057|2489518277|${created}|`.length)
  })

  test('the same push to two receiving accounts gives two keys (one server may serve several accounts)', () => {
    assert.notEqual(dedupKey(message(fixture('text'))), dedupKey(message(fixtureWith('text', { receiver_id: 222 }))))
  })

  test('two messages in the same second from the same fan get different keys', () => {
    const first = dedupKey(message(fixtureWith('text', { text: '你好' })))
    const second = dedupKey(message(fixtureWith('text', { text: '在吗' })))
    assert.notEqual(first, second)
    assert.ok(first.startsWith(`1902538057|2489518277|${created}|`) && second.startsWith(`1902538057|2489518277|${created}|`))
  })

  test('a different type or data with the same text gives a different key', () => {
    const image = message(fixtureWith('image', { created_at: created, text: 'x' }))
    const voice = message(fixtureWith('voice', { created_at: created, text: 'x' }))
    const otherImage = message(fixtureWith('image', { created_at: created, text: 'x', data: { vfid: 1, tovfid: 2 } }))
    assert.notEqual(dedupKey(image), dedupKey(voice))
    assert.notEqual(dedupKey(image), dedupKey(otherImage))
  })

  test('a different created_at or sender gives a different key', () => {
    const base = dedupKey(message(fixture('text')))
    assert.notEqual(base, dedupKey(message(fixtureWith('text', { created_at: 'Mon Jul 16 18:09:21 +0800 2012' }))))
    assert.notEqual(base, dedupKey(message(fixtureWith('text', { sender_id: 2489518278 }))))
  })

  test('a 19-digit sender keeps all its digits in the key', () => {
    const raw = fixture('text').replace('"sender_id":2489518277', '"sender_id":9223372036854775807')
    assert.ok(dedupKey(message(raw)).startsWith(`1902538057|9223372036854775807|${created}|`))
  })
})

describe('createMemoryDedupStore', () => {
  test('the first claim owns the key; a retry before settle joins and gets the owner\'s answer', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settle = await owner(store, 'k')
    const { answer } = await joiner(store, 'k')
    const { answer: another } = await joiner(store, 'k')
    assert.equal(await isSettled(answer), false, 'a joiner must wait for the owner')
    settle('{"result":true}')
    assert.equal(await answer, '{"result":true}')
    assert.equal(await another, '{"result":true}')
  })

  test('a claim after settle joins and gets the stored answer at once', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settle = await owner(store, 'k')
    settle('reply body')
    const { answer } = await joiner(store, 'k')
    assert.equal(await isSettled(answer), true)
    assert.equal(await answer, 'reply body')
  })

  test('a blank answer is remembered too', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settle = await owner(store, 'k')
    settle('')
    assert.equal(await joinedAnswer(store, 'k'), '')
  })

  test('settling twice keeps the first answer', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settle = await owner(store, 'k')
    const { answer: early } = await joiner(store, 'k')
    settle('first')
    settle('second')
    assert.equal(await early, 'first')
    assert.equal(await joinedAnswer(store, 'k'), 'first')
  })

  test('different keys are independent', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settleA = await owner(store, 'a')
    const settleB = await owner(store, 'b')
    settleB('B')
    settleA('A')
    assert.equal(await joinedAnswer(store, 'a'), 'A')
    assert.equal(await joinedAnswer(store, 'b'), 'B')
    assert.equal(store.size, 2)
  })

  test('size never exceeds max, and the least recently used key is evicted', async () => {
    const store = createMemoryDedupStore({ max: 3, ttlMs: 60_000 })
    for (const key of ['k1', 'k2', 'k3']) (await owner(store, key))(key)
    assert.equal(store.size, 3)
    await joiner(store, 'k1') // a retry of k1 makes it recently used: k2 is now the least recent
    ;(await owner(store, 'k4'))('k4')
    assert.equal(store.size, 3)
    assert.equal(await joinedAnswer(store, 'k1'), 'k1')
    assert.equal(await joinedAnswer(store, 'k4'), 'k4')
    await owner(store, 'k2') // forgotten: a retry now runs the handler again
    for (let index = 5; index < 50; index++) {
      await owner(store, `k${index}`)
      assert.ok(store.size <= 3, `size ${store.size}`)
    }
    assert.equal(store.size, 3)
  })

  test('an answered key is forgotten once the TTL has passed', async () => {
    const clock = fakeClock()
    const store = createMemoryDedupStore({ max: 10, ttlMs: 1000, perf: clock })
    ;(await owner(store, 'k'))('answer')
    clock.advance(1000)
    assert.equal(await joinedAnswer(store, 'k'), 'answer', 'still remembered at exactly the TTL')
    clock.advance(1)
    const settle = await owner(store, 'k')
    settle('new answer')
    assert.equal(await joinedAnswer(store, 'k'), 'new answer')
  })

  test('an unanswered key is forgotten once the TTL has passed', async () => {
    const clock = fakeClock()
    const store = createMemoryDedupStore({ max: 10, ttlMs: 500, perf: clock })
    await owner(store, 'k')
    clock.advance(499)
    await joiner(store, 'k')
    clock.advance(2)
    await owner(store, 'k')
  })

  test('the TTL counts from the answer, not from the first claim', async () => {
    const clock = fakeClock()
    const store = createMemoryDedupStore({ max: 10, ttlMs: 1000, perf: clock })
    const settle = await owner(store, 'k')
    clock.advance(800)
    settle('late answer')
    clock.advance(800)
    assert.equal(await joinedAnswer(store, 'k'), 'late answer')
    clock.advance(201)
    await owner(store, 'k')
  })
})

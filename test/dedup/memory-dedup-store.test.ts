import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Answer, Claim, DedupStore } from '../../src/dedup/dedup-store.ts'
import { createMemoryDedupStore } from '../../src/dedup/memory-dedup-store.ts'
import type { DeferredSighting } from '../../src/dedup/deferred-sighting.ts'

/**
 * Claims `key` as its first copy whose answer comes later: like the dispatcher with a handler that returned a
 * promise, it says so (`hold`) before anything else runs, so retries meanwhile join it.
 */
async function owner (store: DedupStore, key: string): Promise<(answer: Answer) => void> {
  const claim: Claim = await store.claim(key)
  assert.equal(claim.role, 'owner', `${key} should be claimed as owner`)
  if (claim.role !== 'owner') throw new Error('unreachable')
  claim.hold?.()
  return claim.settle
}

/** Claims `key` as a retry; the answer comes wrapped, since an async function would wait for a returned promise. */
async function joiner (store: DedupStore, key: string): Promise<{ answer: Promise<Answer>, settled: boolean }> {
  const claim: Claim = await store.claim(key)
  assert.equal(claim.role, 'joiner', `${key} should be claimed as joiner`)
  if (claim.role !== 'joiner') throw new Error('unreachable')
  return { answer: Promise.resolve(claim.answer), settled: claim.settled }
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

/** A clock the test moves by hand. */
function fakeClock (start = 1_000): { now: () => number, advance: (ms: number) => void } {
  let time = start
  return { now: () => time, advance: (ms) => { time += ms } }
}

/** A full garbage collection, without starting the test process with --expose-gc. */
function collectGarbage (): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
}

describe('createMemoryDedupStore', () => {
  test('an owner settled before anything else runs is never in flight: the next copy is replayed its answer', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const claim = store.claim('k')
    assert.ok(!(claim instanceof Promise) && claim.role === 'owner')
    assert.equal(store.size, 0, 'not held: nothing in flight')
    claim.settle('{"result":true}')
    claim.hold?.() // too late: settled already, so not in flight again
    assert.equal(store.size, 1)
    const retry = await joiner(store, 'k')
    assert.equal(retry.settled, true)
    assert.equal(await retry.answer, '{"result":true}')
  })

  test('an owner held then settled leaves nothing in flight', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settle = await owner(store, 'k')
    assert.equal(store.size, 1, 'held: in flight')
    settle('')
    assert.equal(store.size, 1, 'answered: one seen record, nothing in flight')
    assert.equal((await joiner(store, 'k')).settled, true)
  })

  test('the first claim owns the key; a retry before settle joins and gets the owner\'s answer', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settle = await owner(store, 'k')
    const first = await joiner(store, 'k')
    const { answer: another } = await joiner(store, 'k')
    assert.equal(first.settled, false)
    assert.equal(await isSettled(first.answer), false, 'a joiner must wait for the owner')
    settle('{"result":true}')
    assert.equal(await first.answer, '{"result":true}')
    assert.equal(await another, '{"result":true}')
  })

  test('a claim after settle joins and gets the stored answer at once', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settle = await owner(store, 'k')
    settle('reply body')
    const { answer, settled } = await joiner(store, 'k')
    assert.equal(settled, true)
    assert.equal(await isSettled(answer), true)
    assert.equal(await answer, 'reply body')
  })

  test('a blank answer is remembered too', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settle = await owner(store, 'k')
    settle('')
    assert.equal(await joinedAnswer(store, 'k'), '')
    assert.equal(store.answersHeld, 0, 'a blank answer holds no body')
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

  test('different keys are independent, and size counts in-flight and answered pushes', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    const settleA = await owner(store, 'a')
    const settleB = await owner(store, 'b')
    assert.equal(store.size, 2)
    settleB('B')
    settleA('A')
    assert.equal(await joinedAnswer(store, 'a'), 'A')
    assert.equal(await joinedAnswer(store, 'b'), 'B')
    assert.equal(store.size, 2)
  })

  test('size never exceeds max, and the push answered first is forgotten first', async () => {
    const store = createMemoryDedupStore({ max: 3, ttlMs: 60_000 })
    for (const key of ['k1', 'k2', 'k3']) (await owner(store, key))(key)
    assert.equal(store.size, 3)
    ;(await owner(store, 'k4'))('k4')
    assert.equal(store.size, 3)
    assert.equal(await joinedAnswer(store, 'k2'), 'k2')
    assert.equal(await joinedAnswer(store, 'k4'), 'k4')
    ;(await owner(store, 'k1'))('k1 again') // forgotten: a retry now runs the handler again
    for (let index = 5; index < 50; index++) {
      ;(await owner(store, `k${index}`))(`k${index}`)
      assert.ok(store.size <= 3, `size ${store.size}`)
    }
    assert.equal(store.size, 3)
    for (const key of ['k47', 'k48', 'k49']) assert.equal(await joinedAnswer(store, key), key)
  })

  test('an answered key is forgotten once the TTL has passed', async () => {
    const clock = fakeClock()
    const store = createMemoryDedupStore({ max: 10, ttlMs: 1000, perf: clock })
    ;(await owner(store, 'k'))('answer')
    clock.advance(1000)
    assert.equal(await joinedAnswer(store, 'k'), 'answer', 'still remembered at exactly the TTL')
    clock.advance(1)
    assert.equal(store.size, 0, 'an expired record is not counted, even before the next claim')
    const settle = await owner(store, 'k')
    settle('new answer')
    assert.equal(await joinedAnswer(store, 'k'), 'new answer')
    assert.equal(store.size, 1)
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

  test('after DEDUP_REPLAY_TTL_MS a retry is still recognised, but gets a blank answer', async () => {
    const clock = fakeClock()
    const store = createMemoryDedupStore({ max: 10, ttlMs: 10_000, replayTtlMs: 1000, perf: clock })
    ;(await owner(store, 'k'))('the reply')
    assert.equal(store.answersHeld, 1)
    clock.advance(1000)
    assert.equal(await joinedAnswer(store, 'k'), 'the reply', 'replayed at exactly the replay TTL')
    clock.advance(1)
    const late = await joiner(store, 'k')
    assert.equal(late.settled, true)
    assert.equal(await late.answer, '', 'recognised as seen: the handler must not run again')
    assert.equal(store.answersHeld, 0)
    clock.advance(8999)
    assert.equal(await joinedAnswer(store, 'k'), '', 'still seen until DEDUP_TTL_MS')
    clock.advance(1)
    await owner(store, 'k')
  })

  test('the replay window defaults to 60 s and never outlasts DEDUP_TTL_MS', async () => {
    const clock = fakeClock()
    const store = createMemoryDedupStore({ max: 10, ttlMs: 120_000, perf: clock })
    ;(await owner(store, 'k'))('body')
    clock.advance(60_000)
    assert.equal(await joinedAnswer(store, 'k'), 'body')
    clock.advance(1)
    assert.equal(await joinedAnswer(store, 'k'), '')

    const short = createMemoryDedupStore({ max: 10, ttlMs: 2000, replayTtlMs: 60_000, perf: clock })
    ;(await owner(short, 'k'))('body')
    clock.advance(2001)
    await owner(short, 'k')
  })

  test('DEDUP_REPLAY_TTL_MS=0 keeps no bodies: a retry after the answer is answered blank', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000, replayTtlMs: 0 })
    const settle = await owner(store, 'k')
    const { answer: joined } = await joiner(store, 'k')
    settle('body')
    assert.equal(await joined, 'body', 'a retry that joined the running first copy still gets its answer')
    assert.equal(store.answersHeld, 0)
    assert.equal(await joinedAnswer(store, 'k'), '')
  })

  test('answer bodies are freed when the replay window passes, without any further claim', async () => {
    // The store's clock stands still while the 2,000 bodies are written (at load 20 the writes outlasted the 1 s
    // window on the real clock and some expired early: 975 held, not 2,000), then moves past the window; the sweep
    // is still the store's own timer, on real time.
    const clock = fakeClock()
    const store = createMemoryDedupStore({ max: 100_000, ttlMs: 600_000, replayTtlMs: 1000, perf: clock })
    // The bodies are kept outside the heap (src/dedup/answer-bytes.ts): heap and array buffers together.
    const usage = (): number => { const memory = process.memoryUsage(); return memory.heapUsed + memory.arrayBuffers }
    collectGarbage()
    const before = usage()
    // 2,000 distinct bodies of 20,000 one-byte characters: 40 MB while held.
    // (Each a flat string of its own: `padEnd` or `+` would share one filler between them.)
    const body = (index: number): string => { const bytes = Buffer.alloc(20_000, 'x'); bytes.write(String(index)); return bytes.toString('latin1') }
    const bodies = Array.from({ length: 2000 }, (_, index) => body(index))
    for (const [index, text] of bodies.entries()) (await owner(store, `k${index}`))(text)
    bodies.length = 0
    collectGarbage()
    const held = usage()
    assert.equal(store.answersHeld, 2000)
    assert.ok(held - before > 35e6, `the bodies are held: +${held - before} B`)
    clock.advance(1001)
    await sleep(2500) // only the store's own timer runs in between
    assert.equal(store.answersHeld, 0)
    collectGarbage()
    const after = usage()
    assert.ok(held - after > 35e6, `the bodies were freed: ${held} → ${after} B`)
    assert.equal(store.size, 2000, 'the pushes are still recognised as seen')
    assert.equal(await joinedAnswer(store, 'k7'), '')
    await store.close()
  })

  test('nothing is allocated in proportion to DEDUP_MAX before pushes arrive', () => {
    collectGarbage()
    const usage = (): number => { const memory = process.memoryUsage(); return memory.heapUsed + memory.arrayBuffers }
    const before = usage()
    const stores = Array.from({ length: 10 }, () => createMemoryDedupStore({ max: 10_000_000, ttlMs: 86_400_000 }))
    collectGarbage()
    const perStore = (usage() - before) / stores.length
    // lru-cache allocated ~44 B per `max` slot up front: 440 MB per store here.
    assert.ok(perStore < 200_000, `${perStore} B per empty store`)
    assert.equal(stores[0]?.size, 0)
  })

  test('agrees with a plain model over many claims, growth past its first sizes, eviction and expiry', async () => {
    // A small reference store: a list in answer order, scanned linearly. Same rules: FIFO eviction at `max`, TTL
    // and replay TTL from the answer, expired when strictly older.
    const max = 3000
    const ttlMs = 5000
    const replayTtlMs = 1500
    const clock = fakeClock()
    const store = createMemoryDedupStore({ max, ttlMs, replayTtlMs, perf: clock })
    const model: Array<{ key: string, at: number, answer: string }> = []
    // The list is in answer order, and the clock only moves forward: what expired is at its front. (A filter of the
    // whole list per step was ~1.5 s of CPU here, the most of any test in the shared processes.)
    const expireModel = (): void => { while (model[0] !== undefined && clock.now() - model[0].at > ttlMs) model.shift() }
    let seed = 42
    const random = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 }
    for (let step = 0; step < 40_000; step++) {
      clock.advance(Math.floor(random() * 3))
      // Keys from a pool larger than `max`, so that some are evicted, some expire and many come back.
      const key = `fan-${Math.floor(random() * 6000)}|${Math.floor(random() * 3)}`
      expireModel()
      const known = model.find((entry) => entry.key === key)
      const claim = await store.claim(key)
      if (known === undefined) {
        assert.equal(claim.role, 'owner', `step ${step}: ${key} is new`)
        if (claim.role !== 'owner') return
        const answer = random() < 0.2 ? '' : `answer ${step}`
        claim.settle(answer)
        if (model.length >= max) model.shift()
        model.push({ key, at: clock.now(), answer })
      } else {
        assert.equal(claim.role, 'joiner', `step ${step}: ${key} was seen`)
        if (claim.role !== 'joiner') return
        const expected = clock.now() - known.at <= replayTtlMs ? known.answer : ''
        assert.equal(await claim.answer, expected, `step ${step}: ${key}`)
      }
      assert.equal(store.size, model.length, `step ${step}: size`)
    }
    assert.ok(model.length > 2048, `the ring grew past two doublings (${model.length} entries)`)
  })
})

describe('the memory dedup store given a deferred replay check', () => {
  // The route never gives it one (the memory replay check is made at once), but the contract holds: checked first.
  const sighting = (check: () => Promise<void>): DeferredSighting => ({
    key: 'k',
    value: 'v',
    ttlMs: 1000,
    failed: () => {},
    check,
    refuse: () => { throw new Error('refused') }
  })

  test('a refused check claims nothing; a passed one claims', async () => {
    const store = createMemoryDedupStore({ max: 10, ttlMs: 60_000 })
    await assert.rejects(async () => await store.claim('push', sighting(async () => { throw new Error('replayed') })), /replayed/)
    assert.equal(store.size, 0)
    const claimed = await store.claim('push', sighting(async () => {}))
    assert.equal(claimed.role, 'owner')
  })
})

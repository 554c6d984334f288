import { test } from 'node:test'
import assert from 'node:assert/strict'
import { recordActivity, type FanState } from '../../src/reply-quota/fan-quota.ts'
import { createMemoryQuotaStore } from '../../src/reply-quota/memory-quota-store.ts'

const LIMITS = { windowMs: 3600_000, repliesPerWindow: 2, repliesPerMention: 1 }
const read = (store: ReturnType<typeof createMemoryQuotaStore>, fan: string): FanState | undefined =>
  store.updateNow?.(fan, (state) => ({ result: state }))

test('a fan who only wrote (kept compact, as a time) reads back as the same state', () => {
  const at = 1_700_000_000_000
  const store = createMemoryQuotaStore({ limits: LIMITS, maxFans: 10, now: () => at })
  const written = recordActivity(undefined, 'interaction', at, LIMITS)
  store.updateNow?.('fan', () => ({ state: written, result: undefined }))
  assert.deepEqual(read(store, 'fan'), written)
  // A read state is the caller's own: changing it does not change the stored one.
  const copy = read(store, 'fan')
  if (copy !== undefined) copy.repliesUsedInWindow = 5
  assert.equal(read(store, 'fan')?.repliesUsedInWindow, 0)
})

test('every other state is kept whole: replies used, mention credits, an unfollow', () => {
  const at = 1_700_000_000_000
  const store = createMemoryQuotaStore({ limits: LIMITS, maxFans: 10, now: () => at })
  const states: Record<string, FanState> = {
    used: { ...recordActivity(undefined, 'interaction', at, LIMITS), repliesUsedInWindow: 1 },
    mentioned: recordActivity(recordActivity(undefined, 'interaction', at, LIMITS), 'mention', at, LIMITS),
    unfollowed: recordActivity(undefined, 'unfollow', at, LIMITS),
    unknownFollow: { lastActivityAt: at, repliesUsedInWindow: 0, followState: 'unknown', mentionCredits: [] }
  }
  for (const [fan, state] of Object.entries(states)) store.updateNow?.(fan, () => ({ state, result: undefined }))
  for (const [fan, state] of Object.entries(states)) assert.deepEqual(read(store, fan), state, fan)
})

test('past maxFans the fan used longest ago is forgotten; reading a fan counts as use', () => {
  let at = 1_700_000_000_000
  const store = createMemoryQuotaStore({ limits: LIMITS, maxFans: 2, now: () => at })
  const write = (fan: string): void => { store.updateNow?.(fan, (state) => ({ state: recordActivity(state, 'interaction', at, LIMITS), result: undefined })) }
  write('a')
  at += 1
  write('b')
  assert.notEqual(read(store, 'a'), undefined) // a is now the most recently used
  write('c')
  assert.equal(store.size, 2)
  assert.equal(read(store, 'b'), undefined, 'b was used longest ago')
  assert.notEqual(read(store, 'a'), undefined)
  assert.notEqual(read(store, 'c'), undefined)
})

test('a fan is forgotten once nothing in its state matters, on the injected clock', () => {
  let at = 1_700_000_000_000
  const store = createMemoryQuotaStore({ limits: LIMITS, maxFans: 10, now: () => at })
  store.updateNow?.('fan', (state) => ({ state: recordActivity(state, 'interaction', at, LIMITS), result: undefined }))
  store.updateNow?.('used', () => ({ state: { ...recordActivity(undefined, 'interaction', at, LIMITS), repliesUsedInWindow: 1 }, result: undefined }))
  at += LIMITS.windowMs
  assert.notEqual(read(store, 'fan'), undefined, 'still there at the end of its window')
  assert.equal(read(store, 'used')?.repliesUsedInWindow, 1)
  at += 1
  assert.equal(read(store, 'fan'), undefined)
  assert.equal(read(store, 'used'), undefined)
  assert.equal(store.size, 0, 'expired entries are dropped when read')
  // A state whose window has already passed is not stored at all.
  store.updateNow?.('old', () => ({ state: recordActivity(undefined, 'interaction', at - LIMITS.windowMs - 1, LIMITS), result: undefined }))
  assert.equal(store.size, 0)
})

test('agrees with a plain LRU model over many writes and reads (eviction order across the table\'s rebuilds)', () => {
  const at = 1_700_000_000_000
  const maxFans = 300
  const store = createMemoryQuotaStore({ limits: LIMITS, maxFans, now: () => at })
  const model: string[] = [] // least recently used first
  const touch = (fan: string): void => {
    const index = model.indexOf(fan)
    if (index >= 0) model.splice(index, 1)
    model.push(fan)
    if (model.length > maxFans) model.shift()
  }
  let seed = 7
  const random = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 }
  for (let step = 0; step < 20_000; step++) {
    const fan = `fan-${Math.floor(random() * 900)}`
    if (random() < 0.6) {
      store.updateNow?.(fan, (state) => ({ state: recordActivity(state, 'interaction', at, LIMITS), result: undefined }))
      touch(fan)
    } else {
      const known = model.includes(fan)
      assert.equal(read(store, fan) !== undefined, known, `step ${step}: ${fan}`)
      if (known) touch(fan)
    }
    assert.equal(store.size, model.length, `step ${step}: size`)
  }
})

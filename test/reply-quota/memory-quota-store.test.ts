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

import { LRUCache } from 'lru-cache'
import { stateExpiresAt, type FanState, type ReplyLimits } from './fan-quota.ts'
import type { QuotaChange, QuotaStore } from './quota-store.ts'

export interface MemoryQuotaStoreOptions {
  limits: ReplyLimits
  /** Fans tracked at most; past it the fan touched the longest ago is forgotten. */
  maxFans: number
  now: () => number
}

/**
 * Most fans are in one state: they wrote once (or again) and got no reply yet. Kept as that time alone (a number)
 * instead of a five-field object with its own array: ~500 B of heap per fan became ~130 B (bench/README.md), and
 * when every push comes from a new fan this store holds one entry per push, up to `maxFans`.
 */
type Stored = FanState | number

function pack (state: FanState): Stored {
  const plain = state.repliesUsedInWindow === 0 && state.followState === 'following' && state.unfollowedAt === undefined &&
    state.mentionCredits.length === 0
  return plain && state.lastActivityAt !== undefined ? state.lastActivityAt : state
}

function unpack (stored: Stored | undefined): FanState | undefined {
  if (typeof stored !== 'number') return stored
  return { lastActivityAt: stored, repliesUsedInWindow: 0, followState: 'following', unfollowedAt: undefined, mentionCredits: [] }
}

/**
 * Fan states in this process. Each entry lives until nothing in it matters any more (its window, mention credits
 * and unfollow all expired), on the injected clock; `maxFans` bounds memory.
 */
export function createMemoryQuotaStore (options: MemoryQuotaStoreOptions): QuotaStore {
  const { now, limits } = options
  const startedAt = now()
  // ttlResolution 0: lru-cache would otherwise reuse a clock reading for 1 ms of real time, missing an injected jump.
  const fans = new LRUCache<string, Stored>({ max: options.maxFans, ttl: limits.windowMs, perf: { now }, ttlResolution: 0 })
  function updateNow<T> (fanId: string, change: QuotaChange<T>): T {
    const { state, result } = change(unpack(fans.get(fanId)))
    if (state !== undefined) {
      const ttl = stateExpiresAt(state, limits) - now()
      if (ttl > 0) fans.set(fanId, pack(state), { ttl })
      else fans.delete(fanId)
    }
    return result
  }
  return {
    kind: 'memory',
    update: async (fanId, change) => updateNow(fanId, change),
    updateNow,
    trackingSince: async () => startedAt,
    get size () { return fans.size }
  }
}

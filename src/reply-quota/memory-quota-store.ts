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
 * and unfollow all expired), on the injected clock; `maxFans` bounds memory: past it the fan touched the longest
 * ago is forgotten.
 *
 * A `Map` kept in order of use (a touched fan is moved to the end) rather than lru-cache: every new fan's push
 * writes here, and lru-cache's per-entry TTL bookkeeping was ~10 % of fanbot's own CPU per push in the profile
 * (bench/README.md), besides index arrays allocated for `maxFans` up front. An expired entry is dropped when read
 * or when it becomes the oldest; the expiry is computed from the state itself, so nothing else is stored.
 */
export function createMemoryQuotaStore (options: MemoryQuotaStoreOptions): QuotaStore {
  const { now, limits } = options
  const startedAt = now()
  const fans = new Map<string, Stored>()
  const expiresAt = (stored: Stored): number => typeof stored === 'number' ? stored + limits.windowMs : stateExpiresAt(stored, limits)
  // One iterator kept across evictions. A fresh `keys()` per eviction would walk over every entry deleted from the
  // front since the table was last rebuilt (quadratic at 100,000 fans: 30 -> 65 us per push, measured); this one
  // passes each deleted slot once. Everything before its position was evicted or moved to the end, so its next
  // key is always the fan used longest ago. Once done, an iterator stays done: then a new one starts at the front.
  let cursor: MapIterator<string> | undefined
  function forgetOldest (): void {
    let next = cursor?.next()
    if (next === undefined || next.done === true) {
      cursor = fans.keys()
      next = cursor.next()
    }
    if (next.done !== true) fans.delete(next.value)
  }

  function updateNow<T> (fanId: string, change: QuotaChange<T>): T {
    const at = now()
    const stored = fans.get(fanId)
    const live = stored !== undefined && at <= expiresAt(stored) ? stored : undefined
    const { state, result } = change(unpack(live))
    if (stored !== undefined) fans.delete(fanId)
    const kept = state === undefined ? live : pack(state)
    // A new state is kept while something in it still matters; a state left unchanged was live just above.
    if (kept !== undefined && (state === undefined || expiresAt(kept) > at)) {
      fans.set(fanId, kept) // at the end: the most recently used
      if (fans.size > options.maxFans) forgetOldest()
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

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
 * Fan states in this process. Each entry lives until nothing in it matters any more (its window, mention credits
 * and unfollow all expired), on the injected clock; `maxFans` bounds memory.
 */
export function createMemoryQuotaStore (options: MemoryQuotaStoreOptions): QuotaStore {
  const { now, limits } = options
  const startedAt = now()
  // ttlResolution 0: lru-cache would otherwise reuse a clock reading for 1 ms of real time, missing an injected jump.
  const fans = new LRUCache<string, FanState>({ max: options.maxFans, ttl: limits.windowMs, perf: { now }, ttlResolution: 0 })
  function updateNow<T> (fanId: string, change: QuotaChange<T>): T {
    const { state, result } = change(fans.get(fanId))
    if (state !== undefined) {
      const ttl = stateExpiresAt(state, limits) - now()
      if (ttl > 0) fans.set(fanId, state, { ttl })
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

import { LRUCache } from 'lru-cache'
import { lruBound } from '../lru-bound.ts'
import { EMPTY_SESSION, type SessionStore, type StoredSession } from './session-store.ts'

export interface MemorySessionStoreOptions {
  /** SESSION_MAX: past it the fan quiet the longest loses his session. */
  max: number
  /** SESSION_TTL_MS, counted from the fan's last message (every load restarts it). */
  ttlMs: number
  /** Clock for the TTL, injectable in tests (lru-cache's `perf`). */
  perf?: { now: () => number }
}

/**
 * Sessions of this process, on lru-cache (bounded by `max` and `ttl`). Stored as JSON text, not as the live object:
 * a handler that fails or times out after changing `ctx.session` leaves the stored session as it was.
 */
export function createMemorySessionStore (options: MemorySessionStoreOptions): SessionStore {
  const cache = new LRUCache<string, StoredSession>({
    ...lruBound(options.max),
    ttl: options.ttlMs,
    updateAgeOnGet: true, // a fan's message keeps his session alive, not only a change to it
    ...(options.perf === undefined ? {} : { perf: options.perf, ttlResolution: 0 })
  })
  return {
    get size () { return cache.size },
    load: (key) => cache.get(key) ?? EMPTY_SESSION,
    save ({ key, expectedVersion, json, applied }) {
      const current = cache.get(key, { updateAgeOnGet: false })?.version ?? 0
      if (current !== expectedVersion) return false
      cache.set(key, { json, version: current + 1, applied })
      return true
    }
  }
}

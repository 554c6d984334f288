import { LRUCache } from 'lru-cache'
import { lruBound } from '../lru-bound.ts'
import { STREAM_DEDUP_TTL_MS, type StreamDedup } from './stream-dedup-store.ts'

export interface MemoryStreamDedupOptions {
  /** Ids remembered at most (least recently seen go first). Default 50,000. */
  max?: number
  /** How long an id is remembered. Default 1 hour. */
  ttlMs?: number
  /** Clock for the TTL, injectable in tests (lru-cache's `perf`). */
  perf?: { now: () => number }
}

/** Dedup for one process, bounded by `max` and `ttl`. */
export function createMemoryStreamDedup (options: MemoryStreamDedupOptions = {}): StreamDedup {
  const seen = new LRUCache<string, true>({
    ...lruBound(options.max ?? 50_000),
    ttl: options.ttlMs ?? STREAM_DEDUP_TTL_MS,
    // lru-cache reuses a clock reading for `ttlResolution` ms of real time; an injected clock must be read every time.
    ...(options.perf === undefined ? {} : { perf: options.perf, ttlResolution: 0 })
  })
  return {
    async claim (id) {
      if (seen.has(id)) return false
      seen.set(id, true)
      return true
    }
  }
}

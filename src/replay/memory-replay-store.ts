import { LRUCache } from 'lru-cache'
import { lruBound } from '../lru-bound.ts'
import type { ReplayStore } from './replay-store.ts'

export interface MemoryReplayStoreOptions {
  max: number
  ttlMs: number
  /** Clock for the TTL, injectable in tests (lru-cache's `perf`). */
  perf?: { now: () => number }
}

/** This process's memory of signed queries: one LRU lookup per push, entries of two short digests. */
export function createMemoryReplayStore (options: MemoryReplayStoreOptions): ReplayStore {
  const cache = new LRUCache<string, string>({
    ...lruBound(options.max),
    ttl: options.ttlMs,
    ...(options.perf === undefined ? {} : { perf: options.perf, ttlResolution: 0 })
  })
  return {
    sight (queryKey, bodyDigest) {
      const before = cache.get(queryKey)
      if (before === undefined) {
        cache.set(queryKey, bodyDigest)
        return 'first'
      }
      return before === bodyDigest ? 'same' : 'different'
    }
  }
}

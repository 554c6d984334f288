import { LRUCache } from 'lru-cache'
import { ownerClaim, type Answer, type DedupStore } from './dedup-store.ts'

export interface MemoryDedupStoreOptions {
  max: number
  ttlMs: number
  /** Clock for the TTL, injectable in tests (lru-cache's `perf`). */
  perf?: { now: () => number }
}

interface Pending {
  answer: Promise<Answer>
  resolve: (answer: Answer) => void
}

/**
 * In-process dedup store on lru-cache, bounded by `max` and `ttl`. An answered entry is kept as its answer string
 * only, to stay small. If an in-flight entry is evicted under extreme load (more than `max` pushes inside one
 * handler's run), a later retry would run the handler again: size `DEDUP_MAX` above your pushes per `DEDUP_TTL_MS`.
 */
export function createMemoryDedupStore (options: MemoryDedupStoreOptions): DedupStore {
  const cache = new LRUCache<string, Answer | Pending>({
    max: options.max,
    ttl: options.ttlMs,
    // lru-cache reuses a clock reading for `ttlResolution` ms of real time; an injected clock must be read every time.
    ...(options.perf === undefined ? {} : { perf: options.perf, ttlResolution: 0 })
  })
  return {
    // lru-cache drops an expired entry only when it is read: purge first, or the gauge counts the dead (read at scrape time).
    get size () { cache.purgeStale(); return cache.size },
    claim (key) {
      const entry = cache.get(key)
      if (typeof entry === 'string') return { role: 'joiner', answer: Promise.resolve(entry), settled: true }
      if (entry !== undefined) return { role: 'joiner', answer: entry.answer, settled: false }

      let resolveAnswer!: (answer: Answer) => void
      const answer = new Promise<Answer>((resolve) => { resolveAnswer = resolve })
      const pending: Pending = { answer, resolve: resolveAnswer }
      cache.set(key, pending)
      return ownerClaim((settled) => {
        cache.set(key, settled)
        pending.resolve(settled)
      })
    }
  }
}

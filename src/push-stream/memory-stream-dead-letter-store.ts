import { LRUCache } from 'lru-cache'
import { DEAD_LETTER_MAX, DEAD_LETTER_TTL_MS, type StreamDeadLetter, type StreamDeadLetterStore } from './stream-dead-letter-store.ts'

export interface MemoryStreamDeadLetterOptions {
  /** Entries kept at most (the oldest go first). Default 1,000. */
  max?: number
  /** How long an entry is kept. Default 7 days. */
  ttlMs?: number
  /** Clock for the TTL, injectable in tests (lru-cache's `perf`). */
  perf?: { now: () => number }
}

/**
 * The dead-letter list of one process (without Redis): bounded by `max` and `ttl`. Only that process sees it
 * (its log lines say what was dead-lettered); the replay queue is bounded the same way.
 */
export function createMemoryStreamDeadLetters (options: MemoryStreamDeadLetterOptions = {}): StreamDeadLetterStore {
  const max = options.max ?? DEAD_LETTER_MAX
  const clock = options.perf === undefined ? {} : { perf: options.perf, ttlResolution: 0 }
  const entries = new LRUCache<string, StreamDeadLetter>({ max, ttl: options.ttlMs ?? DEAD_LETTER_TTL_MS, ...clock })
  const replays = new LRUCache<string, StreamDeadLetter>({ max, ttl: options.ttlMs ?? DEAD_LETTER_TTL_MS, ...clock })

  /** Newest first: lru-cache iterates from the most recently set, and entries are only ever set, never read with get. */
  const newestFirst = (): StreamDeadLetter[] => [...entries.values()]

  return {
    async add (entry) {
      entries.set(entry.id, entry)
    },
    async list ({ limit }) {
      const all = newestFirst()
      return { total: all.length, entries: all.slice(0, limit) }
    },
    async requeue (ids) {
      const wanted = ids === 'all' ? newestFirst().map((entry) => entry.id).reverse() : ids
      const requeued: string[] = []
      const missing: string[] = []
      for (const id of wanted) {
        const entry = entries.peek(id)
        if (entry === undefined) {
          missing.push(id)
          continue
        }
        entries.delete(id)
        replays.set(id, entry)
        requeued.push(id)
      }
      return { requeued, missing }
    },
    async takeReplays (count) {
      // rvalues: least recently set first, so replays run in the order they were asked for.
      const taken = [...replays.rvalues()].filter((entry) => entry !== undefined).slice(0, count)
      for (const entry of taken) replays.delete(entry.id)
      return taken
    }
  }
}

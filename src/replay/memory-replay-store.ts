import { SeenLog } from '../dedup/seen-log.ts'
import type { ReplayStore } from './replay-store.ts'

export interface MemoryReplayStoreOptions {
  max: number
  ttlMs: number
  /** Clock for the TTL, injectable in tests. */
  perf?: { now: () => number }
}

/**
 * This process's memory of signed queries: one lookup per push. Every query is remembered for the same time and
 * written in the order it arrives, so the dedup store's ring (`SeenLog`: 64-bit digests in typed arrays, the oldest
 * record dropped first) does the job, tagged with 64 bits of the body's SHA-256. Nothing per push stays on the
 * heap: against lru-cache (used here before) no key string and no per-entry TTL bookkeeping (~1.5 µs less per
 * check), and against a digest string per record no surviving object for the garbage collector to copy
 * (bench/README.md). The oldest query is forgotten first once `max` are held.
 *
 * The record's digest is read straight from the signature: it is a SHA-1 that only the app secret's holder can
 * make (the route verified it), so its bits are as even as a hash's and cannot be chosen from outside. The tag is
 * 64 bits of the body's SHA-256: a different body passes as the same only by a second preimage on 64 bits, out of
 * reach within the query's lifetime.
 */
/** The 32-bit word written as 8 hex digits at `offset` (a malformed signature never gets here: it was verified). */
function hexWord (hex: string, offset: number): number {
  return Number.parseInt(hex.slice(offset, offset + 8), 16) >>> 0
}

export function createMemoryReplayStore (options: MemoryReplayStoreOptions): ReplayStore {
  const clock = options.perf ?? performance
  // No seed needed: the records' digests are not computed here but read from the verified signature.
  const seen = new SeenLog({ max: options.max, ttlMs: options.ttlMs, replayTtlMs: 0, seed: 0, tagged: true })
  return {
    sight (signature, bodyDigest) {
      const now = clock.now()
      seen.expire(now)
      const query = { hi: hexWord(signature, 0), lo: hexWord(signature, 8) }
      return seen.sightTagged(query, now, hexWord(bodyDigest, 0), hexWord(bodyDigest, 8))
    }
  }
}

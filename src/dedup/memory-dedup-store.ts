import { randomInt } from 'node:crypto'
import { ownerClaim, type Answer, type Claim, type DedupStore } from './dedup-store.ts'
import { SeenLog } from './seen-log.ts'

export interface MemoryDedupStoreOptions {
  /** DEDUP_MAX: answered pushes remembered at most (the oldest is forgotten first). */
  max: number
  /** DEDUP_TTL_MS: how long an answered push is recognised as seen, counted from its answer. */
  ttlMs: number
  /**
   * DEDUP_REPLAY_TTL_MS: how long the answer body itself is kept to replay to a retry, counted from the answer.
   * Past it a retry is still recognised (the handler does not run again) but gets a blank answer. Default 60 s.
   */
  replayTtlMs?: number
  /** Clock for both TTLs, injectable in tests (named as lru-cache's option, which this store replaced). */
  perf?: { now: () => number }
}

export interface MemoryDedupStore extends DedupStore {
  /** Answer bodies held for replay now (they are freed when DEDUP_REPLAY_TTL_MS passes). */
  readonly answersHeld: number
  /** Forgets expired records and answer bodies now (a timer does it too; tests with an injected clock call it). */
  sweep: () => void
  /** Stops the sweep timer (it is unref'd, so it never holds the process open anyway). */
  close: () => Promise<void>
}

interface Pending {
  claimedAt: number
  /**
   * The promise retries wait on, made when the first retry arrives: most pushes are answered before any retry
   * (a synchronous handler settles before the next request is read), and then none is made.
   */
  answer?: Promise<Answer>
  resolve?: (answer: Answer) => void
}

function answerOf (pending: Pending): Promise<Answer> {
  pending.answer ??= new Promise<Answer>((resolve) => { pending.resolve = resolve })
  return pending.answer
}

/** How often at most the timer frees expired answer bodies: often enough to keep memory flat, rare enough to be free. */
const SWEEP_EVERY_MS = 1000

/**
 * The in-process dedup store. A push is in one of two places:
 * - in flight (its first copy's handler runs and has yielded): a `Map` by key holding the promise of its answer,
 *   which retries join; this map is as small as the number of pushes waiting on their handler at once.
 * - answered: a fixed-size record in `SeenLog` (a 64-bit digest of the key and the answer time, ~50 B) for
 *   DEDUP_TTL_MS, plus the answer body for DEDUP_REPLAY_TTL_MS only (Weibo retries within ~20 s).
 *
 * Why not lru-cache (used here before): with string keys it kept ~500 B of heap per remembered push (the key string,
 * the `Map` entry, its index arrays, the answer for the whole TTL) and preallocated its index arrays for `max`
 * entries at start (44 MiB at DEDUP_MAX=1,000,000); the target is 150 B. The seen records expire in the order they
 * were written (one TTL for all), so a FIFO ring over typed arrays does the job of an LRU here; see seen-log.ts.
 *
 * Differences from the LRU it replaces: a retry does not make a push "recently used" (the oldest answer is evicted
 * first when DEDUP_MAX is reached), and a retry after the replay window gets a blank answer instead of the body.
 */
export function createMemoryDedupStore (options: MemoryDedupStoreOptions): MemoryDedupStore {
  const clock = options.perf ?? performance
  const replayTtlMs = Math.min(options.replayTtlMs ?? 60_000, options.ttlMs)
  // A digest seeded per process: a fan cannot craft a message whose digest collides with another's key.
  const seen = new SeenLog({ max: options.max, ttlMs: options.ttlMs, replayTtlMs, seed: randomInt(0x7fffffff) })
  const inFlight = new Map<string, Pending>()
  let timer: NodeJS.Timeout | undefined

  function sweep (): void {
    seen.expire(clock.now())
  }

  /** Keeps a timer while answer bodies are held, so they are freed when their window ends, not at the next claim. */
  function scheduleSweep (): void {
    if (timer !== undefined) return
    const next = seen.nextAnswerExpiry()
    if (next === undefined) return
    const delay = Math.max(next - clock.now(), Math.min(SWEEP_EVERY_MS, replayTtlMs))
    timer = setTimeout(() => {
      timer = undefined
      sweep()
      scheduleSweep()
    }, delay)
    timer.unref()
  }

  return {
    // Expired records are dropped first, so the metric read at scrape time does not count them.
    get size () { sweep(); return seen.size + inFlight.size },
    get answersHeld () { return seen.answersHeld },
    sweep,
    async close () {
      clearTimeout(timer)
      timer = undefined
    },
    claim (key, sighting) {
      // The replay store next to this one is in memory too, and its check costs no round trip: the route makes it.
      // Given one anyway, the check comes first, as the contract says.
      if (sighting !== undefined) return sighting.check().then(() => claim(key))
      return claim(key)
    }
  }

  function claim (key: string): Claim {
    const now = clock.now()
    seen.expire(now)
    const pending = inFlight.get(key)
    // An owner settles by the reply deadline; one that never did (a bug) stops blocking its retries after the TTL.
    if (pending !== undefined && now - pending.claimedAt <= options.ttlMs) {
      return { role: 'joiner', settled: false, answer: answerOf(pending) }
    }
    const digest = seen.digest(key)
    const found = seen.find(digest)
    if (found !== undefined) return { role: 'joiner', settled: true, answer: found }

    // In flight only once the owner says it will yield (`hold`): a push answered synchronously, the usual case,
    // goes from claim to settle with nothing else running between, so it never enters the map (a Map entry set
    // and deleted per push, and V8 shrinking the emptied table each time, for nothing).
    let mine: Pending | undefined
    return ownerClaim((settled) => {
      if (mine !== undefined && inFlight.get(key) === mine) inFlight.delete(key)
      const at = clock.now()
      seen.expire(at)
      seen.add(digest, at, settled)
      if (settled !== '' && replayTtlMs > 0) scheduleSweep()
      mine?.resolve?.(settled)
    }, () => {
      mine = { claimedAt: now }
      inFlight.set(key, mine)
    })
  }
}

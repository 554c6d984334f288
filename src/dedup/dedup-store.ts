import type { DeferredSighting } from './deferred-sighting.ts'

/** The dedup store's contract: one claim per push key, shared by the memory and Redis stores. */
/** What the first copy of a push answered: the passive reply body, or `''` for a blank answer. */
export type Answer = string

export type Claim =
  /**
   * First copy: run the handler, then `settle` with the answer every retry should get. `hold` (a store that can
   * tell, the memory store): the answer will not be settled before the caller yields, so retries arriving
   * meanwhile must wait for it; without `hold`, the store may assume it is settled before anything else runs.
   */
  | { role: 'owner', settle: (answer: Answer) => void, hold?: () => void }
  /** A retry of a push answered already: its first copy's answer, replayed at once. */
  | { role: 'joiner', settled: true, answer: Answer }
  /** A retry while the first copy runs: `answer` resolves with the first copy's answer once it is decided. */
  | { role: 'joiner', settled: false, answer: Promise<Answer> }

export interface DedupStore {
  /**
   * `sighting`: the push's replay check, to be made with the claim (deferred-sighting.ts). The claim then rejects
   * with `WEIBO_ERR_SIGNATURE_REPLAYED`, claiming nothing, when the signed query was seen with another body. A store
   * that cannot make it in the same step runs `sighting.check()` first.
   */
  claim: (key: string, sighting?: DeferredSighting) => Claim | Promise<Claim>
  /** Entries held now (in flight and answered). */
  readonly size: number
  /** Resolves when the store answers (for `/readyz`); an in-memory store always does. */
  ping?: () => Promise<void>
  /** Stops what the store runs (timers, connections); an in-memory store may have nothing to stop. */
  close?: () => Promise<void>
}

/**
 * An owner's claim whose `settle` acts once, however often it is called (the first answer is the answer). With
 * `onHold`, it also has `hold`, which acts once and only before the claim is settled.
 */
export function ownerClaim (onSettle: (answer: Answer) => void, onHold?: () => void): Claim {
  let settled = false
  let held = false
  const claim: Extract<Claim, { role: 'owner' }> = {
    role: 'owner',
    settle (answer) {
      if (settled) return
      settled = true
      onSettle(answer)
    }
  }
  if (onHold !== undefined) {
    claim.hold = () => {
      if (settled || held) return
      held = true
      onHold()
    }
  }
  return claim
}

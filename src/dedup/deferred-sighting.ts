/*
 * The replay check of a push (src/replay), carried by the dedup claim on Redis so that both take one round trip.
 * Defined here, where the claim uses it: the replay folder already builds on dedup's, not the other way round.
 */

/** The Redis command a sighting is: `SET key value PX ttlMs NX GET`, and who to tell when Redis failed it. */
export interface SightingWrite {
  key: string
  value: string
  ttlMs: number
  /** Redis failed the command that carried it: the push goes through unchecked, with a warning and a metric. */
  failed: (error: unknown) => void
}

/**
 * A replay check left to the dedup store's claim, which makes the sighting in the same Redis round trip: a push
 * that is claimed pays no command for its replay check. The claim refuses (`refuse` throws
 * `WEIBO_ERR_SIGNATURE_REPLAYED`) and claims nothing when the query was seen with another body. A push that is never
 * claimed (malformed, of an unknown type, for no account of its path), or a store that cannot carry it, runs
 * `check` instead: the replay check on its own, before anything else is done with the push.
 */
export interface DeferredSighting extends SightingWrite {
  check: () => Promise<void>
  /** Throws `WEIBO_ERR_SIGNATURE_REPLAYED`: what the claim does when the query was seen with another body. */
  refuse: () => never
}

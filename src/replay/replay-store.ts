import type { SightingWrite } from '../dedup/deferred-sighting.ts'

/** What a signed query was seen with before: never (`first`), the same body (a Weibo retry), or another body. */
export type Sighting = 'first' | 'same' | 'different'

/**
 * Remembers which body each signed query came with, for as long as the query could still be accepted. Lives where
 * dedup lives (in memory, or on Redis so replicas share it); bounded by size and time.
 */
export interface ReplayStore {
  /**
   * Records the body's digest for this signed query if it is the first sighting, and says how this one compares.
   * `signature`: the query's verified signature (40 hex digits: it identifies the timestamp and nonce);
   * `bodyDigest`: the SHA-256 of the whole body, 64 hex digits. Each store keeps what it needs of the two.
   */
  sight: (signature: string, bodyDigest: string) => Sighting | Promise<Sighting>
  /**
   * The Redis store: what `sight` would write, for the dedup claim to write in the same round trip (see
   * `DeferredSighting` in dedup/deferred-sighting.ts). A store without it is always asked directly.
   */
  defer?: (signature: string, bodyDigest: string) => SightingWrite
}

/** What a signed query was seen with before: never (`first`), the same body (a Weibo retry), or another body. */
export type Sighting = 'first' | 'same' | 'different'

/**
 * Remembers which body each signed query came with, for as long as the query could still be accepted. Lives where
 * dedup lives (in memory, or on Redis so replicas share it); bounded by size and time.
 */
export interface ReplayStore {
  /** Records `bodyDigest` for `queryKey` if it is the first sighting, and says how this one compares. */
  sight: (queryKey: string, bodyDigest: string) => Sighting | Promise<Sighting>
}

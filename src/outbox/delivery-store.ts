/**
 * Which parts of a late reply have reached the fan, written by whoever sends them (the outbox worker, on any
 * replica), so that a job run again (a retry, a stalled job taken over, a job queued twice) never sends a part twice.
 * A part is claimed before its API call (with a lease) and marked sent after Weibo's answer.
 */
export interface DeliveryStore {
  /** For each of parts 0..count-1 of reply `id`: whether it is marked sent. */
  sentParts: (id: string, count: number) => Promise<boolean[]>
  /**
   * Claims part `part` of reply `id` for `owner`, for `leaseMs`: `claimed` (send it), `sent` (already delivered:
   * skip it) or `busy` (another sender holds it now: try again later). Atomic.
   */
  claim: (input: { id: string, part: number, owner: string, leaseMs: number }) => Promise<'claimed' | 'sent' | 'busy'>
  /** The part reached Weibo: never send it again. */
  markSent: (id: string, part: number) => Promise<void>
  /** The part failed: drop `owner`'s claim (not another's), so a retry may send it. */
  release: (input: { id: string, part: number, owner: string }) => Promise<void>
}

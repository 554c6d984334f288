/**
 * Where the push stream's position (`since_id`, a data id) survives a restart. The client saves a watermark: the
 * newest record such that it and every record before it were dealt with, so a crash replays, never skips.
 */
export interface SinceIdStore {
  /** The saved position; `undefined` on a first run. May reject on a transient failure: the client retries. */
  load: () => Promise<string | undefined>
  /**
   * Records a new position. Never throws and never waits: writes are coalesced (one in flight, then the latest
   * value), and an id not greater than the last one saved is ignored, so the position only moves forward.
   */
  save: (id: string) => void
  /** Resolves once the latest saved id is written, or its write failed (logged). Never rejects. */
  flush: () => Promise<void>
  /** Flushes, then lets go of the store's resources (not a caller-owned Redis). Later saves are ignored. */
  close: () => Promise<void>
}

/** A data id as stored: decimal digits only (a 64-bit id has at most 20). */
export const SINCE_ID_PATTERN = /^\d{1,20}$/

/**
 * Orders two decimal ids of any size without number conversion (64-bit ids lose digits as doubles): the longer is
 * greater, equal lengths compare as text. Leading zeros are ignored. Negative, zero, positive like `Array#sort`.
 */
export function compareIds (a: string, b: string): number {
  const left = a.replace(/^0+(?=\d)/, '')
  const right = b.replace(/^0+(?=\d)/, '')
  if (left.length !== right.length) return left.length < right.length ? -1 : 1
  return left < right ? -1 : left > right ? 1 : 0
}

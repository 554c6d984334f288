/** What orders a fan's pushes: Weibo's `created_at` first, then arrival. */
export interface QueueEntry {
  /** `<receiving account>:<fan>`: pushes of one key take turns; different keys never wait for each other. */
  fanKey: string
  /** The push's `created_at` in ms since the epoch (second resolution on Weibo). */
  createdAtMs: number
  /** Aborted at shutdown: a push still waiting gives up. */
  signal: AbortSignal
}

/** Ends a turn: the next waiting push of the same fan may start. Calling it twice is harmless. */
export type LeaveTurn = () => void

/**
 * One fan at a time: `enter` resolves when it is this push's turn (every earlier-queued push of the fan has left),
 * and rejects with the signal's reason if the signal aborts first. Pushes waiting together go by `createdAtMs`,
 * then arrival; a push that arrives after a later one has already started cannot overtake it.
 */
export interface FanQueue {
  enter: (entry: QueueEntry) => Promise<LeaveTurn>
  /** Fans with a push running or waiting in this process. */
  readonly size: number
  close: () => Promise<void>
}

/** Weibo's `created_at` (`Mon Jul 16 18:09:20 +0800 2012`) in ms; a date we cannot read sorts as "now". */
export function createdAtMs (createdAt: string, now: () => number = Date.now): number {
  const parsed = Date.parse(createdAt)
  return Number.isFinite(parsed) ? parsed : now()
}

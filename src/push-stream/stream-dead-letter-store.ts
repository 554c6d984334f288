import type { StreamRecord } from './stream-record.ts'

/** A stream record whose handler failed for good (a permanent failure, or transient ones past the attempts). */
export interface StreamDeadLetter {
  /** The record's id: what `weibo-fanbot stream retry <id>` takes. */
  id: string
  /** The record as Weibo sent it: a replay hands it to the handlers again. */
  record: StreamRecord
  handler: string
  /** Our stable code of the last failure (WEIBO_ERR_HANDLER_THREW, WEIBO_ERR_HANDLER_TIMEOUT…). */
  code: string
  message: string
  /** Handler runs made before it was given up. */
  attempts: number
  /** When it was given up (ms since the epoch). */
  failedAt: number
}

export interface RequeueResult {
  /** Ids moved to the replay queue. */
  requeued: string[]
  /** Ids asked for that are not in the dead-letter list. */
  missing: string[]
}

/**
 * The push stream's dead-letter list, and the replay queue that leads out of it: `requeue` (the operator, through
 * `weibo-fanbot stream retry`) moves entries to the queue, `takeReplays` (a running server) takes them off it to
 * run their handler again. Bounded in entries and time, in memory and on Redis.
 */
export interface StreamDeadLetterStore {
  /** Adds (or replaces, by record id) an entry; the oldest go when the list is over its maximum. */
  add: (entry: StreamDeadLetter) => Promise<void>
  /** The newest `limit` entries, newest first, and how many there are in all. */
  list: (options: { limit: number }) => Promise<{ total: number, entries: StreamDeadLetter[] }>
  /** Moves these entries (or all) from the list to the replay queue. */
  requeue: (ids: readonly string[] | 'all') => Promise<RequeueResult>
  /** Takes up to `max` entries off the replay queue, oldest first; each is taken by one process only. */
  takeReplays: (max: number) => Promise<StreamDeadLetter[]>
}

/** Defaults: as many entries as an operator can read through, kept as long as the outbox's failed set. */
export const DEAD_LETTER_MAX = 1000
export const DEAD_LETTER_TTL_MS = 7 * 86_400_000

/**
 * Remembers which records (by data id) were already taken, so a replay after a reconnect or restart, or the same
 * record seen by two replicas, reaches the consumer once.
 */
export interface StreamDedup {
  /** True the first time an id is claimed; false for a duplicate. */
  claim: (id: string) => Promise<boolean>
  /** The claimed record's handler is done (handled or failed): from now on a copy is a duplicate. */
  settle?: (id: string) => void
  /** Stops what the dedup runs in the background (a heartbeat); the caller's connection stays open. */
  close?: () => Promise<void>
}

/** How long a handled id is remembered by default, in memory and on Redis. */
export const STREAM_DEDUP_TTL_MS = 60 * 60 * 1000

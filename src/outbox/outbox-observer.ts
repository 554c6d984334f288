import type { LateReplyObserver } from '../late-reply.ts'

/**
 * What the outbox reports for metrics, as callbacks, so the app keeps every metric in its own registry
 * (src/metrics.ts) and the outbox stays free of prom-client.
 */
export interface OutboxObserver extends LateReplyObserver {
  /** A late reply handed to the outbox: `queued` in Redis, or `fallback`: Redis could not take it, sent directly. */
  enqueued?: (result: 'queued' | 'fallback') => void
  /**
   * One delivery attempt by a worker: `sent`; `retrying`: failed, BullMQ tries again after its backoff; `failed`:
   * failed for good (a permanent error or the last attempt), now in the failed set.
   */
  attempted?: (outcome: 'sent' | 'retrying' | 'failed') => void
  // `ended` (from LateReplyObserver): told once per late reply, by the replica that sent it or gave it up.
}

import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { FanbotError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { listFailed, outboxCounts, retryFailed, type FailedLateReply, type OutboxCounts, type RetryResult } from './outbox-admin.ts'
import { LATE_REPLIES_QUEUE, LATE_REPLY_JOB, outboxJobOptions, type OutboxJobData, type StoredOutboxJob } from './outbox-job.ts'
import { within } from '../within.ts'
import { guardLateInitFailures } from './bullmq-close-guard.ts'

export interface OutboxQueueOptions {
  /** An ioredis connection with fail-fast options (openRedis or connectRedisOnce, storage/redis-connection.ts); closed by close(). */
  connection: Redis
  /** REDIS_KEY_PREFIX: the queue's keys are `<prefix>:late-replies:*`. */
  prefix: string
  /** OUTBOX_ATTEMPTS: tries per late reply, transient failures only. */
  attempts: number
  /** OUTBOX_BACKOFF_MS: the wait before the second try, doubled for each one after. */
  backoffMs: number
  logger: Logger
  /** How long an enqueue waits for a (re)connecting Redis before giving up; default 1000 ms. */
  readyWaitMs?: number
}

/**
 * What an enqueue did. Not queued, `written` tells whether the add may have reached Redis all the same (it was sent,
 * then timed out or lost its connection): such a job may run later, so the reply must not be sent another way.
 */
export type EnqueueResult =
  | { queued: true, jobId: string }
  | { queued: false, written: boolean, error: FanbotError }

export interface OutboxQueue {
  /**
   * Queues a late reply; the same dedup key twice is one job (the id is derived from it), so trying again after an
   * unclear failure is safe. Never rejects.
   */
  enqueue: (data: OutboxJobData) => Promise<EnqueueResult>
  listFailed: (options: { limit: number }) => Promise<FailedLateReply[]>
  retryFailed: (ids: readonly string[] | 'all') => Promise<RetryResult>
  counts: () => Promise<OutboxCounts>
  /** Resolves when Redis answers (for `/readyz`). */
  ping: () => Promise<void>
  /** The connection is up now: an enqueue would be tried rather than refused at once. */
  readonly ready: boolean
  close: () => Promise<void>
  /** Drops the connection at once (a close that did not finish in time). */
  abandon: () => void
}

/**
 * How long an enqueue waits for a connection that is (re)connecting: long enough for the first connection at
 * start or a blip, short enough that a late reply is not held long when Redis is really down (it is then sent
 * directly). Waiting for `ready` rather than queueing the command keeps the rule: never added after a fallback.
 */
const READY_WAIT_MS = 1000
/** An add's own bound, above the connection's 500 ms command timeout (a script load and an add, at worst). */
const ADD_TIMEOUT_MS = 2000

async function whenReady (connection: Redis, timeoutMs: number): Promise<boolean> {
  if (connection.status === 'ready') return true
  if (connection.status === 'end' || connection.status === 'close' || timeoutMs <= 0) return false
  return await new Promise<boolean>((resolve) => {
    const done = (ready: boolean): void => {
      clearTimeout(timer)
      connection.off('ready', onReady)
      connection.off('end', onEnd)
      resolve(ready)
    }
    const onReady = (): void => { done(true) }
    const onEnd = (): void => { done(false) }
    const timer = setTimeout(done, timeoutMs, false)
    connection.once('ready', onReady)
    connection.once('end', onEnd)
  })
}

/** How long a close waits for BullMQ's own initialisation to end (it waits for the connection's 'ready' or 'end'). */
const INIT_WAIT_MS = 1000

/**
 * The producer side of the outbox, and the operator's view of it, on one fail-fast connection: while Redis is
 * down an enqueue is refused after a short wait, never kept in ioredis's offline queue to be sent later, which
 * could add the job after the caller has already sent the reply another way.
 */
export function createOutboxQueue (options: OutboxQueueOptions): OutboxQueue {
  const { connection } = options
  // No version check: BullMQ's initialisation would send INFO once on this connection, and one INFO timed out (500 ms,
  // a loaded machine or a busy Redis at connect) left the queue failing every add for the life of the process, each
  // failure "maybe written", so the sender retried forever. Without it the initialisation sends nothing and cannot
  // fail that way; the queue then uses the scripts that work on every Redis (>= 5) instead of asking which it is.
  const queue = new Queue<StoredOutboxJob>(LATE_REPLIES_QUEUE, { connection, prefix: options.prefix, skipVersionCheck: true })
  guardLateInitFailures(queue)
  // Without a listener an 'error' event would crash the process; the connection's own listener logs outages.
  queue.on('error', (error) => { options.logger.debug({ outbox: { error: error.message } }, 'outbox queue error') })
  /** BullMQ's initialisation of the connection has ended, either way (it never rejects). */
  const initialised = queue.waitUntilReady().then(() => {}, () => {})

  return {
    async enqueue (data) {
      // With no offline queue, nothing is written while the connection is not ready: a refusal here is clean.
      if (!await whenReady(connection, options.readyWaitMs ?? READY_WAIT_MS)) {
        return { queued: false, written: false, error: new FanbotError('WEIBO_ERR_OUTBOX_UNAVAILABLE', { detail: `connection ${connection.status}` }) }
      }
      const jobOptions = outboxJobOptions({ dedupKey: data.dedupKey, attempts: options.attempts, backoffMs: options.backoffMs })
      let timer: NodeJS.Timeout | undefined
      try {
        // Bounded: BullMQ may wait for its client without a timeout of its own.
        const job = await Promise.race([
          queue.add(LATE_REPLY_JOB, data, jobOptions),
          new Promise<never>((_resolve, reject) => { timer = setTimeout(reject, ADD_TIMEOUT_MS, new Error(`no answer within ${ADD_TIMEOUT_MS} ms`)) })
        ])
        return { queued: true, jobId: job.id ?? jobOptions.jobId ?? '' }
      } catch (error) {
        // Sent but unanswered (a stalled Redis answers it later) or cut off: it may be queued. Never assume not.
        const detail = error instanceof Error ? error.message : String(error)
        return { queued: false, written: true, error: new FanbotError('WEIBO_ERR_OUTBOX_UNAVAILABLE', { detail, cause: error }) }
      } finally {
        clearTimeout(timer)
      }
    },
    listFailed: async (listOptions) => await listFailed(queue, listOptions),
    retryFailed: async (ids) => await retryFailed(queue, ids),
    counts: async () => await outboxCounts(queue),
    async ping () { await connection.ping() },
    get ready () { return connection.status === 'ready' },
    async close () {
      // BullMQ's initialisation ends before the queue is closed, so that a failure of it is reported and logged
      // (bullmq-close-guard.ts only keeps one that comes later from becoming an unhandled rejection).
      if (connection.status === 'ready') {
        // Ready: it ends at once (no version check: it sends nothing); then quit, which waits for replies to
        // commands already sent.
        await within(initialised, INIT_WAIT_MS)
        await queue.close()
        await connection.quit().catch(() => { connection.disconnect() })
        return
      }
      // Not ready: end the connection first, which ends the initialisation waiting for it (a failure of it is then
      // reported while BullMQ's listeners are still there). In the middle of ioredis's ready check, its answer still
      // arrives and still emits 'ready' after the disconnect. A connection waiting to reconnect does not emit 'end'
      // when disconnected (ioredis), and nothing more happens on it: there is nothing to wait for then.
      connection.disconnect()
      if (connection.status !== 'reconnecting') await within(initialised, INIT_WAIT_MS)
      await queue.close()
    },
    abandon () { connection.disconnect() }
  }
}

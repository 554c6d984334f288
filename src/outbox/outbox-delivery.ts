import { randomUUID } from 'node:crypto'
import { UnrecoverableError, type Job } from 'bullmq'
import { FanbotError, isFanbotError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { Reply } from '../reply.ts'
import { ReplyRefusedError } from '../reply-quota/reply-refused-error.ts'
import { REBIND_HINT, WeiboApiError } from '../weibo-api/api-error.ts'
import type { ReplyProgress, WeiboApiClient } from '../weibo-api/client.ts'
import type { AccountApis } from '../account-apis.ts'
import type { DeliveryStore } from './delivery-store.ts'
import { OutboxJobDataSchema, type LastError, type StoredOutboxJob } from './outbox-job.ts'
import type { OutboxObserver } from './outbox-observer.ts'

export interface DeliveryOptions {
  /** A client without inner retries (maxRetries 0): BullMQ's attempts and backoff are the only retry loop. */
  api: WeiboApiClient
  /** Several accounts: each job is sent with its account's client (built like `api`); default: `api` for every job. */
  apis?: AccountApis
  logger: Logger
  observer?: OutboxObserver
  /** Delivery records per part (shared by every replica); without them a job run again sends every part again. */
  deliveries?: DeliveryStore
  /** How long a part's claim holds: more than one API call (WEIBO_API_TIMEOUT_MS) and the write of its mark. */
  leaseMs?: number
}

/** Failures of our own bookkeeping that pass with time: the job is tried again, like a transient API failure. */
const RETRYABLE_CODES = new Set(['WEIBO_ERR_OUTBOX_PART_BUSY', 'WEIBO_ERR_OUTBOX_UNAVAILABLE'])

interface Failure {
  lastError: LastError
  /** `code: message`, BullMQ's failedReason: the stable code first, for people and scripts reading `outbox list`. */
  reason: string
  retryable: boolean
  needsRebind: boolean
}

function describeFailure (error: unknown): Failure {
  const at = Date.now()
  if (error instanceof WeiboApiError) {
    return {
      lastError: { code: error.code, at, ...(error.errorCode === undefined ? {} : { errorCode: error.errorCode }), ...(error.status === undefined ? {} : { status: error.status }) },
      reason: `${error.code}: ${error.message}`,
      retryable: error.retryable,
      needsRebind: error.needsRebind
    }
  }
  // Anything else (an invalid reply, a bug) would fail the same way again: permanent.
  const code = isFanbotError(error) ? error.code : 'WEIBO_ERR_SERVER_INTERNAL'
  const message = error instanceof Error ? error.message : String(error)
  return { lastError: { code, at }, reason: `${code}: ${message}`, retryable: RETRYABLE_CODES.has(code), needsRebind: false }
}

function failureMessage (failure: Failure, last: boolean): string {
  if (failure.needsRebind) {
    return `late reply refused: ${REBIND_HINT}, then run weibo-fanbot outbox retry --all`
  }
  if (!last) return 'late reply failed; the outbox will try again'
  return failure.retryable
    ? 'late reply failed on its last attempt; it is in the outbox failed set (weibo-fanbot outbox list, outbox retry)'
    : 'late reply failed and cannot succeed by trying again; it is in the outbox failed set (weibo-fanbot outbox list, outbox retry)'
}

/**
 * The job's parts, checked against and written to the delivery records. The claim's owner is this attempt: a
 * claim left by a worker that died mid-send blocks others until its lease ends (then the part is sent again: the
 * at-least-once window, see docs/exactly-once.md).
 */
function progressOf (input: { deliveries: DeliveryStore, id: string, leaseMs: number }): ReplyProgress {
  const { deliveries, id } = input
  const owner = randomUUID()
  const unavailable = (error: unknown): FanbotError =>
    new FanbotError('WEIBO_ERR_OUTBOX_UNAVAILABLE', { detail: `delivery records: ${error instanceof Error ? error.message : String(error)}`, cause: error })
  return {
    async sentParts (count) {
      try { return await deliveries.sentParts(id, count) } catch (error) { throw unavailable(error) }
    },
    async begin (part) {
      let claim
      try { claim = await deliveries.claim({ id, part, owner, leaseMs: input.leaseMs }) } catch (error) { throw unavailable(error) }
      if (claim === 'busy') throw new FanbotError('WEIBO_ERR_OUTBOX_PART_BUSY', { detail: `job ${id}, part ${part + 1}` })
      return claim === 'claimed'
    },
    sent: async (part) => { await deliveries.markSent(id, part) },
    failed: async (part) => { await deliveries.release({ id, part, owner }) }
  }
}

/** Default claim lease: the API client's default timeout (10 s) plus time to write the mark. */
const DEFAULT_LEASE_MS = 15_000

/**
 * The worker's job: one attempt at sending one late reply through messages/reply. A transient failure is thrown
 * as is, for BullMQ to try again after its backoff; a permanent one as UnrecoverableError, which sends the job
 * straight to the failed set. Every outcome is logged, with Weibo's error_code when there is one.
 */
export function createDeliveryProcessor (options: DeliveryOptions): (job: Job<StoredOutboxJob>) => Promise<void> {
  const { api, logger, observer } = options
  return async (job) => {
    const attempt = job.attemptsMade + 1
    const attempts = job.opts.attempts ?? 1
    const parsed = OutboxJobDataSchema.safeParse(job.data)
    if (!parsed.success) {
      const error = new FanbotError('WEIBO_ERR_OUTBOX_JOB_INVALID', { detail: `job ${job.id ?? '?'}`, cause: parsed.error })
      logger.error({ err: error, lateReply: { jobId: job.id, attempt } }, 'outbox job is not a late reply; moved to the failed set')
      observer?.attempted?.('failed')
      observer?.ended?.({ outcome: 'failed' })
      throw new UnrecoverableError(`${error.code}: ${error.message}`)
    }
    const data = parsed.data
    const facts = { jobId: job.id, handler: data.handler, dedupKey: data.dedupKey, receiverId: data.receiverId, account: data.account, attempt, attempts }
    const ended = (end: { outcome: 'sent' | 'failed' | 'refused', timeToFanMs?: number }): void => {
      observer?.ended?.({ ...end, ...(data.account === undefined ? {} : { accountId: data.account }) })
    }
    if (data.account !== undefined && options.apis !== undefined && !options.apis.knows(data.account)) {
      // Queued for an account since removed from the file: no other account's token may send it.
      const error = new FanbotError('WEIBO_ERR_ACCOUNT_UNKNOWN', { detail: `job ${job.id ?? '?'} is for account ${data.account}, not in WEIBO_ACCOUNTS_FILE` })
      logger.error({ err: error, lateReply: { ...facts, code: error.code } }, 'late reply for an account this server does not have; moved to the failed set')
      observer?.attempted?.('failed')
      ended({ outcome: 'failed' })
      throw new UnrecoverableError(`${error.code}: ${error.message}`)
    }
    const client = options.apis?.for(data.account) ?? api
    const started = performance.now()
    try {
      // The dispatcher validated the reply before queueing it; the client checks it again (an old or edited job).
      const progress = options.deliveries === undefined || job.id === undefined
        ? {}
        : { progress: progressOf({ deliveries: options.deliveries, id: job.id, leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS }) }
      await client.messages.reply({ receiverId: data.receiverId, reply: data.reply as Reply, ...progress })
    } catch (error) {
      const failure = describeFailure(error)
      const last = !failure.retryable || attempt >= attempts
      // Written down for `outbox list`; best effort: the failure itself is what must reach BullMQ.
      await job.updateData({ ...data, lastError: failure.lastError }).catch(() => {})
      const weibo = { code: failure.lastError.code, errorCode: failure.lastError.errorCode, status: failure.lastError.status }
      if (last) logger.error({ err: error, lateReply: { ...facts, ...weibo } }, failureMessage(failure, true))
      else logger.warn({ err: error, lateReply: { ...facts, ...weibo } }, failureMessage(failure, false))
      observer?.attempted?.(last ? 'failed' : 'retrying')
      if (last) ended({ outcome: error instanceof ReplyRefusedError ? 'refused' : 'failed' })
      if (!failure.retryable) throw new UnrecoverableError(failure.reason)
      throw new Error(failure.reason, { cause: error })
    }
    // durationMs is what the fan lived through (push to reply); apiMs only this attempt's call.
    const timeToFanMs = Math.max(0, Date.now() - (data.receivedAt ?? data.queuedAt))
    observer?.attempted?.('sent')
    ended({ outcome: 'sent', timeToFanMs })
    logger.info({ lateReply: { ...facts, durationMs: timeToFanMs, apiMs: Math.round(performance.now() - started), queuedMs: Date.now() - data.queuedAt } },
      'late reply sent from the outbox')
  }
}

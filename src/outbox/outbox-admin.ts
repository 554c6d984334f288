import type { Job, Queue } from 'bullmq'
import { LastErrorSchema } from './outbox-job.ts'

/** A late reply in the failed set, as `weibo-fanbot outbox list` shows it. */
export interface FailedLateReply {
  id: string
  /** The fan; `''` when the job's data is not a late reply (a job from another version). */
  receiverId: string
  /** The receiving account's uid; `''` for a job queued before jobs carried it. */
  account: string
  handler: string
  dedupKey: string
  /** BullMQ's failedReason: our stable error code, then what went wrong. */
  reason: string
  attemptsMade: number
  /** Epoch ms of the last attempt; undefined if BullMQ did not record it. */
  failedAt: number | undefined
  /** Our WEIBO_ERR_* code of the last failure, when the worker recorded it. */
  code?: string
  /** Weibo's error_code of the last failure, when Weibo answered with one. */
  errorCode?: number
}

export interface RetryResult {
  /** Ids moved back to the waiting list, with their attempts counted afresh. */
  retried: string[]
  /** Ids asked for that are not in the failed set (unknown, already retried, or removed after KEEP_FAILED). */
  notFailed: string[]
}

export type OutboxCounts = Record<'waiting' | 'active' | 'delayed' | 'failed' | 'completed', number>

/** Only the fields a listing needs, read defensively: the failed set may hold a job no version of ours can parse. */
function describeFailed (job: Job): FailedLateReply {
  const data = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as Record<string, unknown>
  const text = (value: unknown): string => typeof value === 'string' ? value : ''
  const lastError = LastErrorSchema.safeParse(data.lastError)
  return {
    id: job.id ?? '',
    receiverId: text(data.receiverId),
    account: text(data.account),
    handler: text(data.handler),
    dedupKey: text(data.dedupKey),
    reason: job.failedReason ?? '',
    attemptsMade: job.attemptsMade,
    failedAt: job.finishedOn,
    ...(lastError.success ? { code: lastError.data.code } : {}),
    ...(lastError.success && lastError.data.errorCode !== undefined ? { errorCode: lastError.data.errorCode } : {})
  }
}

/** The newest `limit` failed late replies, newest first. */
export async function listFailed (queue: Queue, options: { limit: number }): Promise<FailedLateReply[]> {
  if (options.limit <= 0) return []
  const jobs = await queue.getFailed(0, options.limit - 1)
  return jobs.filter((job): job is Job => job !== undefined && job !== null).map(describeFailed)
}

async function retryOne (queue: Queue, id: string): Promise<boolean> {
  const job = await queue.getJob(id)
  if (job === undefined || await job.getState() !== 'failed') return false
  // A fresh set of attempts: the operator fixed the cause (token, follow-up), so transient errors get their backoff again.
  await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
  return true
}

/**
 * Moves failed late replies back to the waiting list. `'all'` takes the ids in the failed set now, once: a reply
 * that fails again during the loop is not retried a second time.
 */
export async function retryFailed (queue: Queue, ids: readonly string[] | 'all'): Promise<RetryResult> {
  const targets = ids === 'all' ? await queue.getRanges(['failed'], 0, -1) : [...new Set(ids)]
  const result: RetryResult = { retried: [], notFailed: [] }
  for (const id of targets) {
    if (await retryOne(queue, id)) result.retried.push(id)
    else result.notFailed.push(id)
  }
  return result
}

export async function outboxCounts (queue: Queue): Promise<OutboxCounts> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')
  // Paused jobs are waiting ones too (BullMQ counts them apart when the queue is paused).
  return {
    waiting: (counts.waiting ?? 0) + (counts.paused ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
    completed: counts.completed ?? 0
  }
}

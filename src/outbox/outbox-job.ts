import { createHash } from 'node:crypto'
import type { JobsOptions } from 'bullmq'
import { z } from 'zod'
import type { ValidReply } from '../reply.ts'

/** The BullMQ queue of late replies, under REDIS_KEY_PREFIX: keys are `<prefix>:late-replies:*`. */
export const LATE_REPLIES_QUEUE = 'late-replies'
export const LATE_REPLY_JOB = 'late-reply'

/** Completed jobs are kept a day (their ids stop the same late reply being queued again); failed ones a week. */
export const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 } as const
export const KEEP_FAILED = { age: 7 * 24 * 3600, count: 10_000 } as const

/** What the worker wrote down about the last failed attempt, so `outbox list` can show Weibo's error_code. */
export const LastErrorSchema = z.object({
  code: z.string(),
  errorCode: z.number().int().optional(),
  status: z.number().int().optional(),
  at: z.number()
})

/**
 * A job as read back from Redis. The reply is checked by the API client when it is sent (an invalid one fails the
 * job for good with WEIBO_ERR_REPLY_INVALID), so here it is only carried.
 */
export const OutboxJobDataSchema = z.object({
  receiverId: z.string().min(1),
  /**
   * The receiving account's uid (the push's receiver_id): the worker sends with that account's client, built from
   * the accounts file at start. Never a token. Absent in jobs queued by older versions: the first account's client.
   */
  account: z.string().min(1).optional(),
  reply: z.unknown(),
  handler: z.string(),
  dedupKey: z.string().min(1),
  /** Epoch ms when the late reply was handed to the outbox. */
  queuedAt: z.number(),
  /** Epoch ms when the push arrived, for the time the fan waited (absent in jobs queued by older versions). */
  receivedAt: z.number().optional(),
  lastError: LastErrorSchema.optional()
})

export type StoredOutboxJob = z.infer<typeof OutboxJobDataSchema>
export type LastError = z.infer<typeof LastErrorSchema>
/** What the sender queues: the stored shape with a reply the dispatcher already validated. */
export type OutboxJobData = Omit<StoredOutboxJob, 'reply' | 'lastError'> & { reply: ValidReply }

/**
 * The job id of a late reply: a digest of its dedup key, so the same reply can never be queued twice (BullMQ
 * ignores an add whose id exists). A digest rather than the key itself: the key holds `created_at`, whose colons
 * BullMQ refuses in ids, and a fixed-length `late-<hex>` id is easy to copy into `outbox retry`.
 */
export function outboxJobId (dedupKey: string): string {
  return `late-${createHash('sha256').update(dedupKey).digest('hex').slice(0, 32)}`
}

export function outboxJobOptions (options: { dedupKey: string, attempts: number, backoffMs: number }): JobsOptions {
  return {
    jobId: outboxJobId(options.dedupKey),
    attempts: options.attempts,
    backoff: { type: 'exponential', delay: options.backoffMs },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED
  }
}

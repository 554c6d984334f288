import { createLateReplySender, type LateReplySender } from '../late-reply.ts'
import type { Logger } from '../logger.ts'
import type { WeiboApiClient } from '../weibo-api/client.ts'
import type { OutboxObserver } from './outbox-observer.ts'
import type { OutboxQueue } from './outbox-queue.ts'

export interface OutboxSenderOptions {
  outbox: Pick<OutboxQueue, 'enqueue'>
  /**
   * The app's API client (with its own retries): it decides dry run versus real (`hasToken`) and sends directly
   * when the outbox cannot take a reply.
   */
  api: WeiboApiClient
  logger: Logger
  observer?: OutboxObserver
  /** Epoch ms for `queuedAt`; injectable in tests. */
  now?: () => number
}

/**
 * The late-reply sender with REDIS_URL: a late reply becomes a BullMQ job, so it survives this replica and is
 * retried by whichever replica runs a worker. If Redis cannot take it, the reply goes out directly, as without
 * Redis: a reply sent without durability beats one dropped. Like every LateReplySender, it never rejects.
 */
export function createOutboxSender (options: OutboxSenderOptions): LateReplySender {
  const { outbox, api, logger } = options
  const now = options.now ?? Date.now
  const direct = createLateReplySender({ api, logger, ...(options.observer === undefined ? {} : { observer: options.observer }) })
  return {
    async send (late) {
      const facts = { handler: late.handler, dedupKey: late.dedupKey, receiverId: late.message.sender_id, replyType: late.reply.type }
      // Without a token a job could never be sent: keep the dry run (a log line with the reply) and queue nothing.
      if (!api.hasToken) return await direct.send(late)
      try {
        const jobId = await outbox.enqueue({
          receiverId: late.message.sender_id,
          reply: late.reply,
          handler: late.handler,
          dedupKey: late.dedupKey,
          queuedAt: now(),
          receivedAt: late.receivedAt
        })
        options.observer?.enqueued?.('queued')
        logger.info({ lateReply: { ...facts, jobId } }, 'late reply queued in the outbox')
        return
      } catch (error) {
        options.observer?.enqueued?.('fallback')
        logger.warn({ err: error, lateReply: facts },
          'outbox unavailable: sending the late reply directly (not durable: lost if this replica dies now)')
      }
      await direct.send(late)
    }
  }
}

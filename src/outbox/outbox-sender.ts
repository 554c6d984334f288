import { setTimeout as sleep } from 'node:timers/promises'
import { createLateReplySender, type LateReplySender } from '../late-reply.ts'
import type { AccountApis } from '../account-apis.ts'
import type { Logger } from '../logger.ts'
import type { WeiboApiClient } from '../weibo-api/client.ts'
import type { OutboxObserver } from './outbox-observer.ts'
import type { OutboxQueue } from './outbox-queue.ts'
import { backoffDelay } from '../backoff.ts'

export interface OutboxSenderOptions {
  outbox: Pick<OutboxQueue, 'enqueue'>
  /**
   * The app's API client (with its own retries): it decides dry run versus real (`hasToken`) and sends directly
   * when the outbox cannot take a reply.
   */
  api: WeiboApiClient
  /** Several accounts: the dry-run check and the direct fallback use the reply's account's client. */
  apis?: AccountApis
  logger: Logger
  observer?: OutboxObserver
  /** Epoch ms for `queuedAt`; injectable in tests. */
  now?: () => number
}

export interface OutboxSender extends LateReplySender {
  /** Late replies whose enqueue is unconfirmed and still being tried. */
  readonly unconfirmed: number
  /** Stops trying (at shutdown); the replies still unconfirmed are logged, with their count. */
  close: () => void
}

/** Waits between tries of an unconfirmed enqueue: from 250 ms, doubled, at most 5 s, with jitter (replicas). */
function retryDelay (attempt: number): number {
  return backoffDelay(attempt, { minMs: 250, maxMs: 5000, random: Math.random })
}

/**
 * The late-reply sender with REDIS_URL: a late reply becomes a BullMQ job (its id derived from the push), so it
 * survives this replica and is retried by whichever replica runs a worker. It never races the queue:
 * - Redis not connected: nothing was written, so the reply goes out directly (not durable, but not dropped);
 * - the add was sent but not answered (a stalled Redis runs it later) or its connection was cut: the job may exist,
 *   so the reply is never sent directly; the same add (same job id, so at most one job) is tried again until Redis
 *   answers, and the worker sends it.
 * Like every LateReplySender, it never rejects.
 */
export function createOutboxSender (options: OutboxSenderOptions): OutboxSender {
  const { outbox, api, logger } = options
  const now = options.now ?? Date.now
  const direct = createLateReplySender({
    api,
    logger,
    ...(options.apis === undefined ? {} : { apis: options.apis }),
    ...(options.observer === undefined ? {} : { observer: options.observer })
  })
  const stop = new AbortController()
  let unconfirmed = 0
  return {
    get unconfirmed () { return unconfirmed },
    close () {
      if (unconfirmed > 0) {
        logger.error({ outbox: { unconfirmed } },
          'shutdown: late replies whose enqueue Redis never confirmed were given up; each is queued if an earlier try reached Redis, else lost')
      }
      stop.abort()
    },
    async send (late) {
      const facts = { handler: late.handler, dedupKey: late.dedupKey, receiverId: late.message.sender_id, replyType: late.reply.type }
      // Without a token a job could never be sent: keep the dry run (a log line with the reply) and queue nothing.
      if (!(options.apis?.for(late.message.receiver_id) ?? api).hasToken) return await direct.send(late)
      // The account's uid, never its token: the worker picks that account's client when it sends.
      const data = { receiverId: late.message.sender_id, account: late.message.receiver_id, reply: late.reply, handler: late.handler, dedupKey: late.dedupKey, queuedAt: now(), receivedAt: late.receivedAt }
      let written = false
      for (let attempt = 1; ; attempt++) {
        const result = await outbox.enqueue(data)
        if (result.queued) {
          if (written) unconfirmed--
          options.observer?.enqueued?.('queued')
          logger.info({ lateReply: { ...facts, jobId: result.jobId, attempt } }, 'late reply queued in the outbox')
          return
        }
        if (!written && !result.written) {
          options.observer?.enqueued?.('fallback')
          logger.warn({ err: result.error, lateReply: facts },
            'outbox unavailable: sending the late reply directly (not durable: lost if this replica dies now)')
          return await direct.send(late)
        }
        if (!written) {
          written = true
          unconfirmed++
          logger.warn({ err: result.error, lateReply: facts },
            'outbox did not confirm the enqueue: trying again until Redis answers (not sending directly: the job may be queued already)')
        }
        if (stop.signal.aborted) {
          unconfirmed--
          logger.error({ err: result.error, lateReply: { ...facts, attempt } },
            'late reply given up at shutdown: queued if an earlier try reached Redis, else lost')
          return
        }
        await sleep(retryDelay(attempt), undefined, { signal: stop.signal }).catch(() => {})
      }
    }
  }
}

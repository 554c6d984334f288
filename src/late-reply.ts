import type { AccountApis } from './account-apis.ts'
import type { Logger } from './logger.ts'
import type { Message } from './message-schema.ts'
import type { ValidReply } from './reply.ts'
import { ReplyRefusedError } from './reply-quota/reply-refused-error.ts'
import { REBIND_HINT, WeiboApiError } from './weibo-api/api-error.ts'
import type { WeiboApiClient } from './weibo-api/client.ts'

export interface LateReply {
  message: Message
  reply: ValidReply
  handler: string
  dedupKey: string
  /** Epoch ms when the push arrived: the fan has waited since then. */
  receivedAt: number
}

/**
 * How a late reply ended: `sent` (Weibo accepted it), `failed`, `refused` (reply window or quota, before any
 * call), `dry-run` (no token), or `none` (after the deadline the handler returned no reply).
 */
export type LateReplyOutcome = 'sent' | 'failed' | 'refused' | 'dry-run' | 'none'

export interface LateReplyEnd {
  outcome: LateReplyOutcome
  /** With `sent`: ms from the push's arrival to Weibo's acceptance. */
  timeToFanMs?: number
  /** The receiving account's uid (the push's receiver_id), for the metrics' `account` label. */
  accountId?: string
}

/** Told how each late reply ended (the app counts it in `weibo_fanbot_late_replies_total`). */
export interface LateReplyObserver {
  ended?: (end: LateReplyEnd) => void
}

export interface LateReplySender {
  /** Sends a reply that missed the passive window; never rejects (failures are logged with Weibo's error_code). */
  send: (late: LateReply) => Promise<void>
}

export interface LateReplySenderOptions {
  api: WeiboApiClient
  /** Several accounts: each reply goes out with its account's client; default: `api` for every reply. */
  apis?: AccountApis
  logger: Logger
  observer?: LateReplyObserver
  /** Epoch ms, for the time the fan waited; injectable in tests. */
  now?: () => number
}

/**
 * The active half of the passive/active switch: a late reply goes out once through messages/reply. Without
 * WEIBO_ACCESS_TOKEN it is logged as a dry run instead, so a bot can be tried before it is bound.
 */
export function createLateReplySender (options: LateReplySenderOptions): LateReplySender {
  const { logger } = options
  const now = options.now ?? Date.now
  return {
    async send (late) {
      const api = options.apis?.for(late.message.receiver_id) ?? options.api
      const ended = (end: LateReplyEnd): void => { options.observer?.ended?.({ ...end, accountId: late.message.receiver_id }) }
      const facts = { handler: late.handler, dedupKey: late.dedupKey, receiverId: late.message.sender_id, replyType: late.reply.type }
      if (!api.hasToken) {
        logger.info({ lateReply: { ...facts, reply: late.reply, dryRun: true } }, 'late reply not sent (dry run: WEIBO_ACCESS_TOKEN is not set)')
        ended({ outcome: 'dry-run' })
        return
      }
      const started = performance.now()
      try {
        await api.messages.reply({ receiverId: late.message.sender_id, reply: late.reply })
        // durationMs is what the fan lived through (push to reply); apiMs only the call, retries included.
        const timeToFanMs = Math.max(0, now() - late.receivedAt)
        logger.info({ lateReply: { ...facts, durationMs: timeToFanMs, apiMs: Math.round(performance.now() - started) } }, 'late reply sent')
        ended({ outcome: 'sent', timeToFanMs })
      } catch (error) {
        if (error instanceof ReplyRefusedError) {
          logger.warn({ err: error, lateReply: { ...facts, code: error.code, reason: error.reason } },
            `late reply not sent: ${error.code} (Weibo would refuse it)`)
          ended({ outcome: 'refused' })
          return
        }
        const weibo = error instanceof WeiboApiError
          ? { code: error.code, errorCode: error.errorCode, status: error.status, needsRebind: error.needsRebind }
          : {}
        logger.error({ err: error, lateReply: { ...facts, ...weibo } },
          weibo.needsRebind === true
            ? `late reply refused: ${REBIND_HINT}`
            : 'late reply failed')
        ended({ outcome: 'failed' })
      }
    }
  }
}

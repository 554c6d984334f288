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
}

export interface LateReplySender {
  /** Sends a reply that missed the passive window; never rejects (failures are logged with Weibo's error_code). */
  send: (late: LateReply) => Promise<void>
}

export interface LateReplySenderOptions {
  api: WeiboApiClient
  logger: Logger
}

/**
 * The active half of the passive/active switch: a late reply goes out once through messages/reply. Without
 * WEIBO_ACCESS_TOKEN it is logged as a dry run instead, so a bot can be tried before it is bound.
 */
export function createLateReplySender (options: LateReplySenderOptions): LateReplySender {
  const { api, logger } = options
  return {
    async send (late) {
      const facts = { handler: late.handler, dedupKey: late.dedupKey, receiverId: late.message.sender_id, replyType: late.reply.type }
      if (!api.hasToken) {
        logger.info({ lateReply: { ...facts, reply: late.reply, dryRun: true } }, 'late reply not sent (dry run: WEIBO_ACCESS_TOKEN is not set)')
        return
      }
      const started = performance.now()
      try {
        await api.messages.reply({ receiverId: late.message.sender_id, reply: late.reply })
        logger.info({ lateReply: { ...facts, durationMs: Math.round(performance.now() - started) } }, 'late reply sent')
      } catch (error) {
        if (error instanceof ReplyRefusedError) {
          logger.warn({ err: error, lateReply: { ...facts, code: error.code, reason: error.reason } },
            `late reply not sent: ${error.code} (Weibo would refuse it)`)
          return
        }
        const weibo = error instanceof WeiboApiError
          ? { code: error.code, errorCode: error.errorCode, status: error.status, needsRebind: error.needsRebind }
          : {}
        logger.error({ err: error, lateReply: { ...facts, ...weibo } },
          weibo.needsRebind === true
            ? `late reply refused: ${REBIND_HINT}`
            : 'late reply failed')
      }
    }
  }
}

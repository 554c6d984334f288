import { FanbotError, type ErrorCode } from '../errors.ts'
import type { RefusalReason } from './fan-quota.ts'

const CODES: Record<RefusalReason, ErrorCode> = {
  'no-window': 'WEIBO_ERR_QUOTA_WINDOW_CLOSED',
  'window-expired': 'WEIBO_ERR_QUOTA_WINDOW_CLOSED',
  unfollowed: 'WEIBO_ERR_QUOTA_UNFOLLOWED',
  'quota-exhausted': 'WEIBO_ERR_QUOTA_EXHAUSTED',
  'mention-used': 'WEIBO_ERR_QUOTA_MENTION_USED'
}

/**
 * An active reply the bot refused before calling Weibo, because Weibo would reject it (protocol §4.3). Sending it
 * again cannot succeed until the fan writes again, so the outbox fails it at once rather than retrying.
 */
export class ReplyRefusedError extends FanbotError {
  override readonly name = 'ReplyRefusedError'
  readonly reason: RefusalReason
  readonly fanId: string

  constructor (input: { reason: RefusalReason, fanId: string, detail: string }) {
    super(CODES[input.reason], { detail: input.detail })
    this.reason = input.reason
    this.fanId = input.fanId
  }
}

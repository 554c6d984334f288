import { FanbotError, type ErrorCode } from '../errors.ts'
import { describeWeiboErrorCode } from './error-codes.ts'

export interface WeiboApiErrorOptions {
  /** The API path called, e.g. `/2/messages/reply.json` (never with its query: it may carry the token). */
  request: string
  /** HTTP status of Weibo's answer; absent when no answer came. */
  status?: number
  /** Weibo's `error_code`, when its answer had one. */
  errorCode?: number
  /** Weibo's `error` text, when its answer had one. */
  weiboMessage?: string | undefined
  retryable: boolean
  cause?: unknown
}

/**
 * A failed Weibo API call. `code` is our stable `WEIBO_ERR_API_*` code; `errorCode` is Weibo's own number
 * (21327 = expired token…), `status` the HTTP status, `request` the path, `retryable` whether trying again may help.
 */
export class WeiboApiError extends FanbotError {
  override readonly name = 'WeiboApiError'
  readonly request: string
  readonly status: number | undefined
  readonly errorCode: number | undefined
  readonly weiboMessage: string | undefined
  readonly retryable: boolean

  constructor (code: ErrorCode & `WEIBO_ERR_API_${string}`, options: WeiboApiErrorOptions) {
    const facts = [
      options.errorCode === undefined ? undefined : `error_code ${options.errorCode} (${describeWeiboErrorCode(options.errorCode).meaning})`,
      options.weiboMessage,
      options.status === undefined ? undefined : `HTTP ${options.status}`,
      options.request
    ].filter((fact) => fact !== undefined && fact !== '')
    super(code, { detail: facts.join(', '), cause: options.cause })
    this.request = options.request
    this.status = options.status
    this.errorCode = options.errorCode
    this.weiboMessage = options.weiboMessage
    this.retryable = options.retryable
  }

  /** The token is expired or revoked: nothing will work until the account owner binds the URL again. */
  get needsRebind (): boolean {
    return this.errorCode !== undefined && describeWeiboErrorCode(this.errorCode).rebind === true
  }
}

/** What the operator must do when the token is dead (`needsRebind`), said the same way by every log that meets it. */
export const REBIND_HINT = 'the access token is expired or revoked; bind the callback URL again to get a new WEIBO_ACCESS_TOKEN'

import type { FanbotError } from '../errors.ts'
import { WeiboApiError } from '../weibo-api/api-error.ts'

/** Connection errors (Node's and undici's): the request never got an answer, so a later try may get one. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'
])

function isTransientCause (cause: unknown, depth: number): boolean {
  if (depth > 4 || typeof cause !== 'object' || cause === null) return false
  if (cause instanceof WeiboApiError) return cause.retryable || cause.code === 'WEIBO_ERR_API_NETWORK'
  const code = (cause as { code?: unknown }).code
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true
  return isTransientCause((cause as { cause?: unknown }).cause, depth + 1)
}

/**
 * Whether running a stream record's handler again may succeed: it ran out of HANDLER_TIMEOUT_MS, or it threw a
 * Weibo API error marked retryable (5xx, 429, Weibo's system errors), or a network failure (Weibo's or its own
 * fetch's). Anything else (a plain error, an invalid reply, a refusal such as an expired token) would fail the same
 * way again: permanent, dead-lettered at once.
 */
export function isTransientHandlerFailure (error: FanbotError): boolean {
  if (error.code === 'WEIBO_ERR_HANDLER_TIMEOUT') return true
  return isTransientCause(error.cause, 0)
}

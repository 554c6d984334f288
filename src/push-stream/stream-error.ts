/** Weibo's error envelope, when the stream answers with one instead of records. */
export interface StreamErrorBody {
  errorCode: number | undefined
  error: string | undefined
}

/** Weibo's "IP limit" error code (IP 限制，不能请求该资源). */
const IP_LIMITED_CODE = 10004

/** "Ip is limited" as Weibo words it, in any body format (JSON, plain text, an HTML page from a proxy). */
const IP_LIMITED_TEXT = /\bip is limited\b/i
/** Of a plain-text error, this much goes to the logs. */
const TEXT_EXCERPT_CHARS = 200

/**
 * Reads Weibo's error JSON (`{"error":"…","error_code":…,"request":…}`) from the first line or the body of an
 * answer, or the "Ip is limited" refusal in any other format (seen as a plain-text body with HTTP 200 or 403);
 * `undefined` for anything else. A record is never taken for an error: records carry a top-level `id`.
 */
export function readStreamError (text: string): StreamErrorBody | undefined {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return IP_LIMITED_TEXT.test(text) ? { errorCode: undefined, error: text.trim().slice(0, TEXT_EXCERPT_CHARS) } : undefined
  }
  if (typeof body === 'string' && IP_LIMITED_TEXT.test(body)) return { errorCode: undefined, error: body.slice(0, TEXT_EXCERPT_CHARS) }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || 'id' in body) return undefined
  if (!('error_code' in body) && !('error' in body)) return undefined
  const { error_code: code, error } = body as { error_code?: unknown, error?: unknown }
  const errorCode = Number(code)
  return {
    errorCode: code === undefined || code === null || !Number.isFinite(errorCode) ? undefined : errorCode,
    error: typeof error === 'string' ? error : undefined
  }
}

/** The caller's IP is not in the subscription's IP list: only the operator can fix it. */
export function isIpLimited (body: StreamErrorBody): boolean {
  return body.errorCode === IP_LIMITED_CODE || IP_LIMITED_TEXT.test(body.error ?? '')
}

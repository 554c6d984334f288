import pRetry from 'p-retry'
import { FanbotError } from './errors.ts'
import type { Logger } from './logger.ts'
import { WeiboApiError } from './weibo-api-error.ts'
import { describeWeiboErrorCode } from './weibo-error-codes.ts'

export interface WeiboHttpOptions {
  baseUrl: string
  accessToken: string | undefined
  timeoutMs: number
  /** Further tries after the first, for transient failures only. */
  maxRetries: number
  /** Wait before the first retry; doubled each time, with jitter. */
  retryMinMs: number
  logger: Logger
  /** Told of every attempt's result (for metrics). */
  onAttempt?: (attempt: { request: string, outcome: string, errorCode: number | undefined }) => void
}

export interface WeiboHttp {
  /** POSTs a form (the token added as `access_token`) and returns Weibo's parsed JSON answer. */
  postForm: (path: string, fields: Record<string, string>) => Promise<unknown>
  readonly hasToken: boolean
}

const WEIBO_ERROR_BODY = (body: unknown): body is { error_code: number | string, error?: unknown, request?: unknown } =>
  typeof body === 'object' && body !== null && 'error_code' in body

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A call that got no (complete) answer. A timeout is never retried: Weibo may have acted on the request. */
function transportError (error: unknown, facts: { request: string, status?: number, retryConnectionError: boolean }): WeiboApiError {
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
  return new WeiboApiError(timedOut ? 'WEIBO_ERR_API_TIMEOUT' : 'WEIBO_ERR_API_NETWORK', {
    request: facts.request,
    ...(facts.status === undefined ? {} : { status: facts.status }),
    retryable: !timedOut && facts.retryConnectionError,
    cause: error
  })
}

/** One attempt: maps every way a call can fail to a `WeiboApiError` that says whether a retry may help. */
async function attempt (options: WeiboHttpOptions, path: string, fields: Record<string, string>): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(options.baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', accept: 'application/json' },
      body: new URLSearchParams({ ...fields, access_token: options.accessToken ?? '' }),
      signal: AbortSignal.timeout(options.timeoutMs)
    })
  } catch (error) {
    // No answer at all: a connection error is retried (the rule), a timeout is not.
    throw transportError(error, { request: path, retryConnectionError: true })
  }

  let text: string
  try {
    text = await response.text()
  } catch (error) {
    // The answer stalled past the timeout or was cut: Weibo has already acted on the request, so never retried.
    throw transportError(error, { request: path, status: response.status, retryConnectionError: false })
  }
  const body = parseJson(text)
  if (WEIBO_ERROR_BODY(body)) {
    const errorCode = Number(body.error_code)
    throw new WeiboApiError('WEIBO_ERR_API_REJECTED', {
      request: typeof body.request === 'string' ? body.request : path,
      status: response.status,
      errorCode,
      weiboMessage: typeof body.error === 'string' ? body.error : undefined,
      retryable: describeWeiboErrorCode(errorCode).retryable
    })
  }
  if (!response.ok) {
    throw new WeiboApiError('WEIBO_ERR_API_HTTP', {
      request: path, status: response.status, retryable: response.status >= 500 || response.status === 429
    })
  }
  if (body === undefined) {
    throw new WeiboApiError('WEIBO_ERR_API_BAD_RESPONSE', { request: path, status: response.status, retryable: false })
  }
  return body
}

/**
 * The one HTTP layer under every Weibo API call: timeouts, retries with exponential backoff and jitter for
 * transient failures only, Weibo's error JSON turned into `WeiboApiError`, and the token kept out of logs and errors.
 */
export function createWeiboHttp (options: WeiboHttpOptions): WeiboHttp {
  return {
    hasToken: options.accessToken !== undefined,
    async postForm (path, fields) {
      if (options.accessToken === undefined) throw new FanbotError('WEIBO_ERR_API_TOKEN_MISSING', { detail: path })
      const counted = async (): Promise<unknown> => {
        try {
          const body = await attempt(options, path, fields)
          options.onAttempt?.({ request: path, outcome: 'ok', errorCode: undefined })
          return body
        } catch (error) {
          if (error instanceof WeiboApiError) options.onAttempt?.({ request: path, outcome: error.code, errorCode: error.errorCode })
          throw error
        }
      }
      return await pRetry(counted, {
        retries: options.maxRetries,
        minTimeout: options.retryMinMs,
        factor: 2,
        randomize: true,
        shouldRetry: ({ error }) => error instanceof WeiboApiError && error.retryable,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (error instanceof WeiboApiError && error.retryable && retriesLeft > 0) {
            options.logger.warn({ api: { request: path, attempt: attemptNumber, retriesLeft, code: error.code, errorCode: error.errorCode, status: error.status } },
              'Weibo API call failed, retrying')
          }
        }
      })
    }
  }
}

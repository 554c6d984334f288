import pRetry from 'p-retry'
import { FanbotError } from '../errors.ts'
import { describeFetchFailure } from './fetch-failure.ts'
import { redactUrl, type Logger } from '../logger.ts'
import { WeiboApiError } from './api-error.ts'
import { describeWeiboErrorCode } from './error-codes.ts'
import type { WeiboRateLimiter } from './rate-limiter.ts'

export interface WeiboHttpOptions {
  /** Default base URL (the fan-service host, `m.api.weibo.com`); a request may name another. */
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
  /** Budget for the commercial (`c.api`) endpoints; applied to requests marked `commercial`. */
  commercialLimiter?: WeiboRateLimiter
}

/** One call to the Weibo API. The token is added by the layer: to the form, or to the query for GET and JSON bodies. */
export interface WeiboRequest {
  method: 'GET' | 'POST'
  path: string
  /** Defaults to the layer's `baseUrl`. */
  baseUrl?: string | undefined
  query?: Record<string, string>
  /** A form body (`application/x-www-form-urlencoded`); the token goes in it. */
  form?: Record<string, string>
  /** A JSON body; the token goes in the query. */
  json?: unknown
  /** Counts against the commercial 50,000 requests/hour/IP budget. */
  commercial?: boolean
}

export interface WeiboHttp {
  /** POSTs a form (the token added as `access_token`) and returns Weibo's parsed JSON answer. */
  postForm: (path: string, fields: Record<string, string>) => Promise<unknown>
  /** Any JSON call: GET with a query, POST with a form or a JSON body. Returns Weibo's parsed JSON answer. */
  request: (request: WeiboRequest) => Promise<unknown>
  /**
   * A binary download: the response once its status and headers say it is the file (a Weibo error body becomes a
   * `WeiboApiError`). The caller reads the body, within its own size bound.
   */
  download: (request: WeiboRequest) => Promise<Response>
  readonly hasToken: boolean
}

type ErrorBody = { error_code: number | string, error?: unknown, request?: unknown } | { errcode: number | string, errmsg?: unknown, request?: unknown }

/** Weibo's error envelope, or the group-send one (`errcode`/`errmsg`, 0 meaning success). */
function isErrorBody (body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null) return false
  if ('error_code' in body) return true
  return 'errcode' in body && Number((body as { errcode: unknown }).errcode) !== 0
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A call that got no (complete) answer. A timeout is never retried: Weibo may have acted on the request. */
function transportError (error: unknown, facts: { request: string, status?: number, retryConnectionError: boolean }): WeiboApiError {
  const { timedOut } = describeFetchFailure(error)
  return new WeiboApiError(timedOut ? 'WEIBO_ERR_API_TIMEOUT' : 'WEIBO_ERR_API_NETWORK', {
    request: facts.request,
    ...(facts.status === undefined ? {} : { status: facts.status }),
    retryable: !timedOut && facts.retryConnectionError,
    cause: error
  })
}

function rejection (body: ErrorBody, path: string, status: number): WeiboApiError {
  const errorCode = Number('error_code' in body ? body.error_code : body.errcode)
  const text = 'error_code' in body ? body.error : body.errmsg
  return new WeiboApiError('WEIBO_ERR_API_REJECTED', {
    request: typeof body.request === 'string' ? body.request.split('?')[0] ?? path : path,
    status,
    errorCode,
    weiboMessage: typeof text === 'string' ? text : undefined,
    retryable: describeWeiboErrorCode(errorCode).retryable
  })
}

function httpError (path: string, status: number): WeiboApiError {
  return new WeiboApiError('WEIBO_ERR_API_HTTP', { request: path, status, retryable: status >= 500 || status === 429 })
}

function buildFetch (options: WeiboHttpOptions, request: WeiboRequest): { url: string, init: RequestInit } {
  const token = options.accessToken ?? ''
  const query = new URLSearchParams(request.query)
  const headers: Record<string, string> = { accept: 'application/json' }
  let body: string | URLSearchParams | undefined
  if (request.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8'
    body = new URLSearchParams({ ...request.form, access_token: token })
  } else {
    query.set('access_token', token)
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json;charset=UTF-8'
      body = JSON.stringify(request.json)
    }
  }
  const search = query.toString()
  return {
    url: (request.baseUrl ?? options.baseUrl) + request.path + (search === '' ? '' : `?${search}`),
    init: { method: request.method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(options.timeoutMs) }
  }
}

async function send (options: WeiboHttpOptions, request: WeiboRequest): Promise<Response> {
  const { url, init } = buildFetch(options, request)
  try {
    return await fetch(url, init)
  } catch (error) {
    // No answer at all: a connection error is retried (the rule), a timeout is not.
    throw transportError(error, { request: request.path, retryConnectionError: true })
  }
}

/** One JSON attempt: maps every way a call can fail to a `WeiboApiError` that says whether a retry may help. */
async function attemptJson (options: WeiboHttpOptions, request: WeiboRequest): Promise<unknown> {
  const response = await send(options, request)
  let text: string
  try {
    text = await response.text()
  } catch (error) {
    // The answer stalled past the timeout or was cut: Weibo has already acted on the request, so never retried.
    throw transportError(error, { request: request.path, status: response.status, retryConnectionError: false })
  }
  const body = parseJson(text)
  if (isErrorBody(body)) throw rejection(body, request.path, response.status)
  if (!response.ok) throw httpError(request.path, response.status)
  if (body === undefined) {
    throw new WeiboApiError('WEIBO_ERR_API_BAD_RESPONSE', { request: request.path, status: response.status, retryable: false })
  }
  return body
}

/** One download attempt: a JSON answer is Weibo's error, anything else with a 2xx status is the file. */
async function attemptDownload (options: WeiboHttpOptions, request: WeiboRequest): Promise<Response> {
  const response = await send(options, request)
  const contentType = response.headers.get('content-type') ?? ''
  if (contentType.includes('json') || !response.ok) {
    const text = await response.text().catch(() => '')
    const body = parseJson(text)
    if (isErrorBody(body)) throw rejection(body, request.path, response.status)
    if (!response.ok) throw httpError(request.path, response.status)
    throw new WeiboApiError('WEIBO_ERR_API_BAD_RESPONSE', { request: request.path, status: response.status, retryable: false })
  }
  return response
}

/**
 * The one HTTP layer under every Weibo API call: timeouts, retries with exponential backoff and jitter for
 * transient failures only, the commercial rate budget, Weibo's error JSON turned into `WeiboApiError`, and the
 * token kept out of logs and errors (errors name the path only; logs use `redactUrl`).
 */
export function createWeiboHttp (options: WeiboHttpOptions): WeiboHttp {
  async function call<T> (request: WeiboRequest, attempt: (options: WeiboHttpOptions, request: WeiboRequest) => Promise<T>): Promise<T> {
    const { path } = request
    if (options.accessToken === undefined) throw new FanbotError('WEIBO_ERR_API_TOKEN_MISSING', { detail: path })
    const limiter = request.commercial === true ? options.commercialLimiter : undefined
    const counted = async (): Promise<T> => {
      try {
        const result = limiter === undefined ? await attempt(options, request) : await limiter.schedule(async () => await attempt(options, request))
        options.onAttempt?.({ request: path, outcome: 'ok', errorCode: undefined })
        return result
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
          options.logger.warn({
            api: {
              request: path,
              url: redactUrl(buildFetch({ ...options, accessToken: 'x' }, request).url),
              attempt: attemptNumber,
              retriesLeft,
              code: error.code,
              errorCode: error.errorCode,
              status: error.status
            }
          }, 'Weibo API call failed, retrying')
        }
      }
    })
  }

  return {
    hasToken: options.accessToken !== undefined,
    async postForm (path, fields) {
      return await call({ method: 'POST', path, form: fields }, attemptJson)
    },
    async request (request) {
      return await call(request, attemptJson)
    },
    async download (request) {
      return await call(request, attemptDownload)
    }
  }
}

import { randomInt, randomBytes } from 'node:crypto'
import { describeFetchFailure } from '../weibo-api/fetch-failure.ts'
import { decodePassiveReplyBody, type DecodedPassiveReply } from '../reply-encoding.ts'
import { computeSignature } from '../signature.ts'

/** Weibo waits this long for an answer, then drops the connection and tries again. */
export const WEIBO_WAIT_MS = 5000
/** Tries in all, the first included. */
export const WEIBO_TRIES = 3

export interface Try {
  attempt: number
  /** When the try started, ms since the push was first sent. */
  startedAtMs: number
  /** The signed query's nonce: each try is signed afresh, as Weibo does (absent when sent unsigned). */
  nonce?: string
  durationMs: number
  status?: number
  body?: string
  /** Why there was no answer: `timeout` (over the wait) or the connection error. */
  error?: string
}

/**
 * - `passive`: a passive reply came back (decoded in `reply`);
 * - `blank`: 200 with an empty body: nothing now (a late reply may follow through the API);
 * - `rejected`: a 4xx/5xx answer that Weibo does not retry, or a 200 body that is not a passive reply;
 * - `unanswered`: every try timed out or failed to connect.
 */
export type DeliveryOutcome = 'passive' | 'blank' | 'rejected' | 'unanswered'

export interface DeliveryResult {
  outcome: DeliveryOutcome
  tries: Try[]
  reply?: DecodedPassiveReply
  /** For `rejected`: what was wrong, in a sentence. */
  problem?: string
}

export interface SignedUrlInput {
  url: string
  /** Undefined sends the request unsigned (to check that a server refuses it). */
  secret: string | undefined
  extra?: Record<string, string>
}

/** Adds Weibo's query: a fresh millisecond timestamp and nonce, and their signature. */
export function signUrl (input: SignedUrlInput): string {
  const target = new URL(input.url)
  if (input.secret !== undefined) {
    const timestamp = String(Date.now())
    const nonce = String(randomInt(10_000_000, 99_999_999))
    target.searchParams.set('signature', computeSignature({ secret: input.secret, timestamp, nonce }))
    target.searchParams.set('timestamp', timestamp)
    target.searchParams.set('nonce', nonce)
  }
  for (const [key, value] of Object.entries(input.extra ?? {})) target.searchParams.set(key, value)
  return target.href
}

export interface DeliverPushOptions {
  /** The callback URL, e.g. http://127.0.0.1:3000/weibo. */
  url: string
  secret: string | undefined
  /** The push as JSON text (see `pushToJson`). */
  body: string
  waitMs?: number
  tries?: number
}

async function oneTry (options: DeliverPushOptions, attempt: number, firstStartedAt: number): Promise<Try> {
  const started = performance.now()
  const url = signUrl({ url: options.url, secret: options.secret })
  const nonce = new URL(url).searchParams.get('nonce')
  const base = { attempt, startedAtMs: Math.round(started - firstStartedAt), ...(nonce === null ? {} : { nonce }) }
  try {
    // Weibo's Content-Type is undocumented; ours says JSON, and the server must not depend on it.
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: options.body,
      signal: AbortSignal.timeout(options.waitMs ?? WEIBO_WAIT_MS)
    })
    const body = await response.text()
    return { ...base, durationMs: Math.round(performance.now() - started), status: response.status, body }
  } catch (error) {
    const failure = describeFetchFailure(error)
    return { ...base, durationMs: Math.round(performance.now() - started), error: failure.timedOut ? 'timeout' : failure.reason }
  }
}

/** What Weibo makes of a try that was answered. */
function judge (answered: Try): Omit<DeliveryResult, 'tries'> {
  const body = answered.body ?? ''
  if (answered.status !== 200) return { outcome: 'rejected', problem: `HTTP ${answered.status ?? '?'}: ${body.slice(0, 200)}` }
  if (body === '') return { outcome: 'blank' }
  try {
    return { outcome: 'passive', reply: decodePassiveReplyBody(body) }
  } catch (error) {
    return { outcome: 'rejected', problem: error instanceof Error ? error.message : String(error) }
  }
}

/**
 * Sends one push the way Weibo does: signed, a fresh timestamp and nonce per try, up to `tries` tries while the
 * server does not answer within `waitMs` (a timeout, a refused or dropped connection, or a 5xx), and records
 * every try. Weibo documents retries on timeouts only; retrying 5xx too is our tolerant reading.
 */
export async function deliverPush (options: DeliverPushOptions): Promise<DeliveryResult> {
  const firstStartedAt = performance.now()
  const tries: Try[] = []
  const limit = options.tries ?? WEIBO_TRIES
  for (let attempt = 1; attempt <= limit; attempt++) {
    const current = await oneTry(options, attempt, firstStartedAt)
    tries.push(current)
    if (current.status !== undefined && current.status < 500) return { ...judge(current), tries }
  }
  const last = tries[tries.length - 1]
  return last?.status === undefined ? { outcome: 'unanswered', tries } : { ...judge(last), tries }
}

export interface VerifyResult {
  ok: boolean
  status?: number
  body?: string
  /** A plain sentence: what happened and, on failure, what to check. */
  explanation: string
}

/** The binding handshake: Weibo's GET with `echostr`; the URL is bound only if the body is exactly the echo. */
export async function verifyCallbackUrl (options: { url: string, secret: string | undefined, waitMs?: number }): Promise<VerifyResult> {
  const echostr = randomBytes(8).toString('base64url')
  let response: Response
  try {
    response = await fetch(signUrl({ url: options.url, secret: options.secret, extra: { echostr } }), {
      signal: AbortSignal.timeout(options.waitMs ?? WEIBO_WAIT_MS)
    })
  } catch (error) {
    const failure = describeFetchFailure(error)
    return {
      ok: false,
      explanation: failure.timedOut
        ? `no answer within ${options.waitMs ?? WEIBO_WAIT_MS} ms: Weibo would give up; is the server reachable at ${options.url}?`
        : `could not connect to ${options.url} (${failure.reason}): is the server running, and is the URL right?`
    }
  }
  const body = await response.text()
  if (response.status === 200 && body === echostr) {
    return { ok: true, status: 200, body, explanation: 'the server echoed echostr: Weibo would bind this URL' }
  }
  if (response.status === 401) {
    return { ok: false, status: 401, body, explanation: 'the server refused the signature: WEIBO_APP_SECRET on the server and --secret here must be the same app secret' }
  }
  if (response.status === 404) {
    return { ok: false, status: 404, body, explanation: 'nothing answers at that path: check CALLBACK_PATH (default /weibo) and the URL' }
  }
  return {
    ok: false,
    status: response.status,
    body,
    explanation: `expected HTTP 200 with the body "${echostr}", got HTTP ${response.status} with "${body.slice(0, 120)}"`
  }
}

import type { Fault } from './api-faults.ts'
import type { Params } from './fake-api-params.ts'

/** One call the fake API received, as a test reads it back. */
export interface ApiCall {
  /** Without the query string, which may carry the token. */
  path: string
  method: string
  /** Query and form fields, decoded once; `access_token` is always `[Redacted]`. */
  params: Params
  /** HTTP status answered; 0 while unanswered, and for good when the connection was dropped. */
  status: number
  /** The JSON answered; for other bodies the text, or `{ contentType, bytes }` for a file; undefined when dropped. */
  response: unknown
  /** When the call arrived, by the fake's clock (ms). */
  at: number
  /** The uid of the account whose token the call carried (the fake can play several accounts). */
  account?: string
  /** The fault played on this call, if one was. */
  fault?: Fault['kind']
}

export interface CallLog {
  /** Adds a call in arrival order and returns it, to be completed when the answer goes out. */
  start: (call: Omit<ApiCall, 'status' | 'response'>) => ApiCall
  /** Fills in the answer from what Fastify is about to send. */
  finish: (call: ApiCall, answer: { status: number, contentType: string | undefined, payload: unknown }) => void
  readonly calls: readonly ApiCall[]
}

export const DEFAULT_MAX_CALLS = 10_000

function describePayload (contentType: string | undefined, payload: unknown): unknown {
  if (Buffer.isBuffer(payload)) return { contentType, bytes: payload.length }
  if (typeof payload !== 'string') return payload === undefined || payload === null ? undefined : { contentType }
  if (contentType?.includes('json') === true) {
    try {
      return JSON.parse(payload)
    } catch {
      return payload
    }
  }
  return payload
}

/** Every call in arrival order, so a delayed call keeps its place. Bounded: past `max` the oldest are dropped. */
export function createCallLog (options: { max?: number } = {}): CallLog {
  const max = options.max ?? DEFAULT_MAX_CALLS
  const calls: ApiCall[] = []
  return {
    start (partial) {
      const call: ApiCall = { ...partial, status: 0, response: undefined }
      calls.push(call)
      if (calls.length > max) calls.splice(0, calls.length - max)
      return call
    },
    finish (call, answer) {
      call.status = answer.status
      call.response = describePayload(answer.contentType, answer.payload)
    },
    calls
  }
}

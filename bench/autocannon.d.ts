// autocannon ships no types and @types/autocannon is not a dependency: this declares only what bench/ uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  export type Context = Record<string, unknown>

  export interface Request {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
    /** Called just before each request is written; returning undefined restarts the request list. */
    setupRequest?: (request: Request, context: Context) => Request | undefined
    /** Called with each completed response; `context` is the one `setupRequest` saw for that request. */
    onResponse?: (status: number, body: string, context: Context, headers: Record<string, string>) => void
  }

  export interface Options {
    url: string
    connections?: number
    /** Seconds. */
    duration?: number
    amount?: number
    pipelining?: number
    /** Seconds. */
    timeout?: number
    method?: string
    headers?: Record<string, string>
    body?: string
    requests?: Request[]
    title?: string
  }

  export interface Histogram {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    total: number
    p50: number
    p90: number
    p97_5: number
    p99: number
    p99_9: number
  }

  export interface Result {
    title?: string
    /** Seconds. */
    duration: number
    errors: number
    timeouts: number
    mismatches: number
    non2xx: number
    '2xx': number
    /** Milliseconds. */
    latency: Histogram
    /** Per-second samples; `total` is every completed request. */
    requests: Histogram & { sent: number }
  }

  export interface Instance extends EventEmitter, PromiseLike<Result> {
    stop: () => void
  }

  function autocannon (options: Options): Instance
  export default autocannon
}

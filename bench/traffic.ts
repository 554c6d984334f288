import type { Context, Request } from 'autocannon'
import { makePush, pushToJson } from '../src/simulator/push-factory.ts'
import { createFreshUrls } from './fresh-url.ts'

export const BENCH_SECRET = 'bench-app-secret-5d1c'
export const CALLBACK_PATH = '/weibo'
/** Fresh sender ids well below 2^53, so they are plain JSON numbers and take the server's fast JSON path. */
const FIRST_SENDER = 3_000_000_000
const START = Date.UTC(2026, 10, 25, 0, 0, 0)

/** What one push generator sent and saw answered, for the checks after the run. */
export interface TrafficLog {
  /** Distinct messages sent (first copies). */
  distinct: number
  /** Retries sent (same body as an earlier message, freshly signed). */
  retries: number
  /** Distinct message ids that got a 200 answer (first copy or a retry). */
  answered: Set<number>
  /** 200 answers whose passive reply did not name the message: a retry that got someone else's answer. */
  wrongAnswers: number
  /** Client-side latency (ms) of the pushes meant to be slow, by id order of completion. */
  slowLatencies: number[]
  fastLatencies: number[]
  /** Sender ids of slow pushes, for matching late replies. */
  slowSenders: Set<string>
}

export interface TrafficOptions {
  /** Server base URL (http://127.0.0.1:port). */
  url: string
  /** Share of requests that re-send an earlier message (retry storm). */
  retryShare?: number
  /** Share of distinct messages whose handler is slow (late path). */
  slowShare?: number
  /** Checks each 200 body names the message (off for the bare server, whose body is fixed). */
  checkReplies?: boolean
  /** Called with each fresh message before it is sent (the late path records fan activity with the fake API). */
  onFresh?: (push: { sender_id: string, type: string, text: string }) => void
}

export interface Traffic {
  request: Request
  log: TrafficLog
  /** Forgets what was sent so far (after the warm-up) without reusing ids. */
  reset: () => void
  /** Off while autocannon sets up its connections, whose first request waits for the connect. */
  setTiming: (on: boolean) => void
}

interface Sent { id: number, body: string, slow: boolean }

/**
 * A generator of Weibo pushes for autocannon: each request gets a freshly signed URL (new timestamp and nonce) and
 * either a new text push (new id, sender and created_at) or, for a share of requests, the body of an earlier one.
 * Half of the retries repeat one of the last 16 messages, likely still in flight (a concurrent retry), the other
 * half one of the last 5000, likely answered already (a replay).
 */
export function createTraffic (options: TrafficOptions): Traffic {
  const retryShare = options.retryShare ?? 0
  const slowShare = options.slowShare ?? 0
  let nextId = 0
  // A ring of recent first copies, the pool retries are drawn from (a fixed array: no shifting per request).
  const RING = 5000
  const recent: Sent[] = []
  let newest = -1
  const newLog = (): TrafficLog => ({
    distinct: 0, retries: 0, answered: new Set(), wrongAnswers: 0, slowLatencies: [], fastLatencies: [], slowSenders: new Set()
  })
  let log = newLog()
  // autocannon builds each connection's first request while it sets up, before the socket connects: those
  // timings include the connect, so `runLoad` turns timing off around that setup.
  let timing = true

  function fresh (): Sent {
    const id = nextId++
    const slow = slowShare > 0 && Math.random() < slowShare
    const sender = String(FIRST_SENDER + id)
    const push = makePush({
      type: 'text',
      text: `${slow ? 'slow ' : ''}id-${id} 你好`,
      senderId: sender,
      createdAt: new Date(START + id * 1000)
    })
    options.onFresh?.(push as { sender_id: string, type: string, text: string })
    if (slow) log.slowSenders.add(sender)
    log.distinct++
    const sent = { id, body: pushToJson(push), slow }
    newest = (newest + 1) % RING
    recent[newest] = sent
    return sent
  }

  function pick (): Sent {
    if (recent.length === 0 || !(Math.random() < retryShare)) return fresh()
    const window = Math.random() < 0.5 ? Math.min(16, recent.length) : recent.length
    const back = Math.floor(Math.random() * window)
    const sent = recent[(newest - back + RING) % RING]
    if (sent === undefined) return fresh()
    log.retries++
    return sent
  }

  const freshUrl = createFreshUrls(options.url, CALLBACK_PATH, BENCH_SECRET)
  const request: Request = {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    setupRequest (base: Request, context: Context) {
      const sent = pick()
      context.sent = sent
      context.at = timing ? performance.now() : undefined
      return { ...base, path: freshUrl(), body: sent.body }
    },
    onResponse (status: number, body: string, context: Context) {
      const sent = context.sent as Sent
      const at = context.at as number | undefined
      if (status !== 200) return
      log.answered.add(sent.id)
      if (at !== undefined) (sent.slow ? log.slowLatencies : log.fastLatencies).push(performance.now() - at)
      // A passive reply's data is URL-encoded JSON: `ok id-<n>` ends in `id-<n>%22`.
      if (options.checkReplies === true && body !== '' && !body.includes(`id-${sent.id}%22`)) log.wrongAnswers++
    }
  }
  return {
    request,
    get log () { return log },
    reset () {
      log = newLog()
      recent.length = 0
      newest = -1
    },
    setTiming (on) { timing = on }
  }
}

/** The value at quantile q (0..1) of a list of numbers, nearest-rank. */
export function quantile (values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}

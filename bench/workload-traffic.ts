import type { Context, Request } from 'autocannon'
import { makePush, pushToJson, type PushSpec } from '../src/simulator/push-factory.ts'
import { createFreshUrls } from './fresh-url.ts'
import { BENCH_SECRET, CALLBACK_PATH } from './traffic.ts'

/**
 * The issue-13 workload's pushes: every request a freshly signed URL; 70 % text, 10 % each position, voice and
 * image; every push from a fan of its own (unique `sender_id`) with a unique `created_at`; 5 % of requests re-send
 * an earlier push (one of the last 5,000), as Weibo's retries do.
 */
export interface WorkloadLog {
  distinct: number
  retries: number
  /** 200 answers whose body was not `ok <type>`'s passive reply (blank, or another type's). */
  wrongAnswers: number
}

export interface WorkloadTraffic {
  request: Request
  readonly log: WorkloadLog
  reset: () => void
  setTiming: (on: boolean) => void
}

const FIRST_SENDER = 5_000_000_000
const START = Date.UTC(2026, 11, 1)
const RING = 5000

function spec (id: number): PushSpec {
  const senderId = String(FIRST_SENDER + id)
  const createdAt = new Date(START + id * 1000)
  const roll = id % 10 // a fixed 7:1:1:1 pattern; ids are unique, so the mix is exact over any 10 pushes
  if (roll < 7) return { type: 'text', text: `你好 ${id}`, senderId, createdAt }
  if (roll === 7) return { type: 'position', longitude: '116.30815', latitude: '39.98414', senderId, createdAt }
  if (roll === 8) return { type: 'voice', vfid: String(2_000_000_000 + id), tovfid: String(3_000_000_000 + id), senderId, createdAt }
  return { type: 'image', vfid: String(2_000_000_000 + id), tovfid: String(3_000_000_000 + id), senderId, createdAt }
}

export function createWorkloadTraffic (options: { url: string, retryShare?: number, checkReplies?: boolean }): WorkloadTraffic {
  const retryShare = options.retryShare ?? 0.05
  let nextId = 0
  const recent: Array<{ body: string, type: string }> = []
  let newest = -1
  let log: WorkloadLog = { distinct: 0, retries: 0, wrongAnswers: 0 }

  function pick (): { body: string, type: string } {
    if (recent.length > 0 && Math.random() < retryShare) {
      const sent = recent[(newest - Math.floor(Math.random() * recent.length) + RING) % RING]
      if (sent !== undefined) {
        log.retries++
        return sent
      }
    }
    const push = spec(nextId++)
    const sent = { body: pushToJson(makePush(push)), type: push.type }
    newest = (newest + 1) % RING
    recent[newest] = sent
    log.distinct++
    return sent
  }

  const freshUrl = createFreshUrls(options.url, CALLBACK_PATH, BENCH_SECRET)
  const request: Request = {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    setupRequest (base: Request, context: Context) {
      const sent = pick()
      context.type = sent.type
      return { ...base, path: freshUrl(), body: sent.body }
    },
    onResponse (status: number, body: string, context: Context) {
      // `ok <type>` URL-encoded in the passive reply's data: `ok%20text%22`.
      if (options.checkReplies === true && status === 200 && !body.includes(`ok%20${String(context.type)}%22`)) log.wrongAnswers++
    }
  }
  return {
    request,
    get log () { return log },
    reset () { log = { distinct: 0, retries: 0, wrongAnswers: 0 } },
    setTiming () {}
  }
}

import { STATUS_CODES } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply } from 'fastify'
import { WeiboRefusal, type FakeApiErrorName } from './fake-api-errors.ts'

/** A failure the fake API plays instead of (or before) its normal answer, for testing a client's error paths. */
export type Fault =
  | { kind: 'server-error', status?: number } // a 5xx from a proxy: the body is HTML, not Weibo JSON
  | { kind: 'drop' } // the connection is destroyed without an answer
  | { kind: 'delay', ms: number } // the normal answer, ms later
  | { kind: 'expired-token' } // 21327
  | { kind: 'rate-limit' } // 10023, HTTP 403
  | { kind: 'system-error' } // 10001, HTTP 500
  | { kind: 'ip-limited' } // 10004 "Ip is limited", HTTP 403: the caller's IP is not on the list (commercial/push)

export interface FaultQueue {
  /** Applies `fault` to each of the next `times` calls (default 1), after the faults already queued. */
  inject: (fault: Fault, times?: number) => void
  clear: () => void
  /** The fault for the call now arriving, if any; taking it uses it up. */
  take: () => Fault | undefined
  readonly pending: number
}

export function createFaultQueue (): FaultQueue {
  // One entry per inject call with a count, so `inject(f, 1e6)` costs no more memory than `inject(f)`.
  const queue: Array<{ fault: Fault, remaining: number }> = []
  return {
    inject (fault, times = 1) {
      if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be a positive integer, got ${times}`)
      if (fault.kind === 'server-error' && fault.status !== undefined && !(Number.isInteger(fault.status) && fault.status >= 500 && fault.status <= 599)) {
        throw new RangeError(`server-error status must be 500 to 599, got ${fault.status}`)
      }
      if (fault.kind === 'delay' && !(Number.isFinite(fault.ms) && fault.ms >= 0)) throw new RangeError(`delay ms must be a non-negative number, got ${fault.ms}`)
      queue.push({ fault: { ...fault }, remaining: times })
    },
    clear () { queue.length = 0 },
    take () {
      const head = queue[0]
      if (head === undefined) return undefined
      if (--head.remaining === 0) queue.shift()
      return head.fault
    },
    get pending () { return queue.reduce((sum, entry) => sum + entry.remaining, 0) }
  }
}

const FAULT_ERRORS: Partial<Record<Fault['kind'], FakeApiErrorName>> = {
  'expired-token': 'TOKEN_EXPIRED',
  'rate-limit': 'RATE_LIMITED',
  'system-error': 'SYSTEM_ERROR',
  'ip-limited': 'IP_LIMITED'
}

export type FaultOutcome =
  | { handled: false } // go on with the normal answer
  | { handled: true, dropped: boolean }

/**
 * Plays a fault inside a Fastify hook. A Weibo-JSON fault is thrown as a refusal so it is answered (and logged)
 * like any other; `drop` destroys the response, which fails an HTTP client's request and rejects `inject`.
 */
export async function applyFault (fault: Fault, reply: FastifyReply): Promise<FaultOutcome> {
  switch (fault.kind) {
    case 'delay':
      await sleep(fault.ms)
      return { handled: false }
    case 'drop':
      reply.hijack()
      reply.raw.destroy()
      return { handled: true, dropped: true }
    case 'server-error': {
      const status = fault.status ?? 502
      const title = `${status} ${STATUS_CODES[status] ?? 'Server Error'}`
      await reply.code(status).type('text/html; charset=utf-8')
        .send(`<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>`)
      return { handled: true, dropped: false }
    }
    default: {
      const name = FAULT_ERRORS[fault.kind]
      throw new WeiboRefusal(name ?? 'SYSTEM_ERROR')
    }
  }
}

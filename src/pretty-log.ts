import { createRequire } from 'node:module'
import type { DestinationStream } from 'pino'

/** The facts nested under these keys are folded into the message, so a push is one line, not one per fact. */
const FOLDED_KEYS = ['push', 'lateReply', 'pushStream', 'outbox'] as const

type PinoPretty = (options: Record<string, unknown>) => DestinationStream

function compact (value: unknown): string {
  if (typeof value === 'string') return /[\s=]/.test(value) ? JSON.stringify(value) : value
  if (typeof value === 'object' && value !== null) return JSON.stringify(value)
  return String(value)
}

/** `push passive  type=text sender=2489518277 handler=greet outcome=passive durationMs=12`: one line per push. */
export function formatMessage (log: Record<string, unknown>, messageKey: string): string {
  const facts: string[] = []
  for (const key of FOLDED_KEYS) {
    const nested = log[key]
    if (typeof nested !== 'object' || nested === null) continue
    for (const [name, value] of Object.entries(nested)) {
      if (value !== undefined) facts.push(`${name}=${compact(value)}`)
    }
  }
  const message = String(log[messageKey] ?? '')
  return facts.length === 0 ? message : `${message}  ${facts.join(' ')}`
}

interface SerializedError { message?: unknown, stack?: unknown, code?: unknown, cause?: SerializedError }

/**
 * An error as a developer wants it on a terminal, said once: the error that started it (a handler's own throw, as
 * its stack, which begins with its message and shows the line it threw at), not our wrapper around it; one of our
 * own errors (a `WEIBO_ERR_*` code) as its message alone, since its stack is this library's insides.
 */
export function formatError (err: unknown): string {
  let origin = err as SerializedError
  while (typeof origin.cause === 'object' && origin.cause !== null) origin = origin.cause
  const ours = typeof origin.code === 'string' && origin.code.startsWith('WEIBO_ERR_')
  return !ours && typeof origin.stack === 'string' ? origin.stack : String(origin.message)
}

/**
 * A pino-pretty stream (a dev dependency, loaded only when asked for) writing one line per log record: the nested
 * push facts folded into the message, any other object on the same line. Errors keep their stack, on the lines
 * after. In this thread rather than a transport's worker, so that the message format can be a function.
 */
export function prettyStream (destination?: NodeJS.WritableStream): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as PinoPretty
  return pretty({
    colorize: destination === undefined,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: ['pid', 'hostname', 'service', ...FOLDED_KEYS].join(','),
    singleLine: true,
    messageFormat: formatMessage,
    customPrettifiers: { err: formatError },
    sync: true,
    ...(destination === undefined ? {} : { destination })
  })
}

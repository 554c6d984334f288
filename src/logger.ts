import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import { prettyStream } from './pretty-log.ts'

export type { Logger }

/**
 * Paths pino removes from every log line. Tokens and signatures can reach a log through an error's request,
 * a handler logging its context, or a URL; none of them may be written. The app secret is never logged by us,
 * and is listed in case a handler passes the config to its logger.
 */
export const REDACTED_PATHS = [
  'access_token', '*.access_token', '*.*.access_token',
  'accessToken', '*.accessToken', '*.*.accessToken',
  'signature', '*.signature', '*.*.signature',
  'appSecret', '*.appSecret', '*.*.appSecret',
  'WEIBO_APP_SECRET', '*.WEIBO_APP_SECRET',
  'WEIBO_ACCESS_TOKEN', '*.WEIBO_ACCESS_TOKEN',
  'headers.authorization', '*.headers.authorization'
]

/** Removes the value of credentials from a URL or query string, for the rare log line that carries one. */
export function redactUrl (url: string): string {
  return url.replace(/([?&](?:access_token|signature)=)[^&#]*/g, '$1[Redacted]')
}

export interface CreateLoggerOptions {
  level: LoggerOptions['level']
  /** Where lines go; stdout when omitted. Tests pass a stream to read what was logged. */
  destination?: DestinationStream
  /** Human-readable lines through pino-pretty (a dev dependency) instead of JSON. */
  pretty?: boolean
  /** LOG_FLUSH_MS: stdout written in batches at most this many ms apart; 0 or undefined writes each line at once. */
  flushMs?: number
}

/** A batch is written as soon as this much is waiting, whatever the time. */
const BATCH_BYTES = 4096
/** Past this much waiting (stdout not read: a stuck pipe), lines are dropped rather than held: the server keeps serving. */
const MAX_WAITING_BYTES = 16 * 1024 * 1024

/**
 * Stdout in batches (LOG_FLUSH_MS): one write per 4 KB or per `flushMs`, instead of one per line. A write is a
 * system call, and on a VM it costs more than making the line (~6 µs of the ~8 µs of a push's info line,
 * bench/README.md). Written asynchronously, so a slow reader never blocks the event loop. Lines waiting when the
 * process exits are written then (pino flushes on exit); only a kill -9 or a crash of Node itself can lose the last
 * `flushMs` of them.
 */
function batchedStdout (flushMs: number): DestinationStream {
  // sonic-boom's own timer (unref'd) writes what is waiting every `periodicFlush` ms.
  const stream = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES, maxLength: MAX_WAITING_BYTES, periodicFlush: flushMs, contentMode: 'buffer' })
  // Lines kept as bytes: in its text mode sonic-boom appends each line to one string and measures that whole string's
  // UTF-8 length again per line (flattening it), ~1.5 µs of a ~4 µs line (bench/README.md). In its buffer mode it
  // adds up the lines' lengths; a line becomes bytes once, in Node's shared pool. (pino writes text; sonic-boom's
  // buffer mode takes bytes only, so the line is converted here.)
  const writeBytes = stream.write.bind(stream) as unknown as (bytes: Buffer) => boolean
  stream.write = (line: string) => writeBytes(Buffer.from(line))
  return stream
}

export function createLogger (options: CreateLoggerOptions): Logger {
  const loggerOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'weibo-fanbot' },
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    serializers: {
      // errWithCause: the message said once, the cause (a handler's own error and its stack) as its own object;
      // stdSerializers.err appends every cause's message to the message ("x: x").
      err: pino.stdSerializers.errWithCause,
      req: (req: { method?: string, url?: string }) => ({ method: req.method, url: redactUrl(req.url ?? '') })
    }
  }
  if (options.destination !== undefined) return pino(loggerOptions, options.destination)
  if (options.pretty === true) {
    // Redaction happens before the pretty stream sees a line, so pretty logs hide the same secrets.
    return pino(loggerOptions, prettyStream())
  }
  if (options.flushMs !== undefined && options.flushMs > 0) return pino(loggerOptions, batchedStdout(options.flushMs))
  return pino(loggerOptions)
}

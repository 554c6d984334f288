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
  return pino(loggerOptions)
}

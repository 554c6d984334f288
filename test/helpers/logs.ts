import { Writable } from 'node:stream'
import { createLogger, type Logger } from '../../src/logger.ts'

export interface CapturedLogs {
  logger: Logger
  /** Every line written so far, parsed. */
  lines: () => Array<Record<string, unknown>>
  /** Everything written so far, raw. */
  text: () => string
}

/** A real pino logger (same options as production) whose output the test can read. */
export function captureLogs (level: 'trace' | 'debug' | 'info' = 'debug'): CapturedLogs {
  const chunks: string[] = []
  const destination = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'))
      callback()
    }
  })
  const logger = createLogger({ level, destination })
  const text = (): string => chunks.join('')
  return {
    logger,
    text,
    lines: () => text().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>)
  }
}

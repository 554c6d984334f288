import { isFanbotError } from '../errors.ts'

/*
 * Exit codes, the contract scripts rely on (also in `weibo-fanbot --help` and docs/cli.md):
 * - 0: done: a push was answered (passive reply or blank), the handshake succeeded, help/version, a chat ended;
 * - 1: the push or handshake failed (rejected, unanswered, not echoed), chat could not start its bot, or the
 *      outbox's Redis could not be reached (WEIBO_ERR_OUTBOX_UNAVAILABLE) or a job to retry is not in the failed set,
 *      or the same for stream (WEIBO_ERR_STREAM_DEAD_LETTERS_UNAVAILABLE, an id not in the dead-letter list);
 * - 2: usage: unknown command or option, missing or bad argument, invalid environment (WEIBO_ERR_CONFIG_INVALID),
 *      REDIS_URL unset for outbox or stream, a missing handlers folder, or a replay file that cannot be read or is not JSON.
 *      Nothing was sent.
 */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_USAGE

/** An error the CLI explains in one line and exits with; `usage` errors add the pointer to --help. */
export class CliError extends Error {
  override readonly name = 'CliError'
  readonly exitCode: ExitCode

  constructor (message: string, exitCode: ExitCode, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.exitCode = exitCode
  }
}

export function usageError (message: string, options: { cause?: unknown } = {}): CliError {
  return new CliError(message, EXIT_USAGE, options)
}

export function failure (message: string): CliError {
  return new CliError(message, EXIT_FAILED)
}

/** Multi-line messages (zod's report of a bad environment) squeezed onto one line. */
export function oneLine (text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

/** The exit code for any error: a CliError says its own; a bad environment or handlers folder is usage; the rest failed. */
export function exitCodeOf (error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode
  if (isFanbotError(error)) {
    switch (error.code) {
      case 'WEIBO_ERR_CONFIG_INVALID':
      case 'WEIBO_ERR_HANDLER_DIR_MISSING':
        return EXIT_USAGE
      default:
        return EXIT_FAILED
    }
  }
  return EXIT_FAILED
}

/** One readable line, never a stack: our errors keep their stable code in front. */
export function describeError (error: unknown): string {
  if (isFanbotError(error)) return oneLine(`${error.code}: ${error.message}`)
  if (error instanceof Error) return oneLine(error.message)
  return oneLine(String(error))
}

import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino'

type LogArguments = [unknown, ...unknown[]]

/**
 * The logger Fastify gives each request (`request.log`), made real only when the request logs something. Fastify's
 * default makes a pino child per request for its `reqId` binding, and pino runs that binding through redaction:
 * ~3 % of the CPU of a push in the profile (bench/README.md), for a logger most pushes never use (their one line is
 * written by the push processor). Lines that are written carry `reqId` exactly as before.
 */
class LazyRequestLogger {
  readonly #parent: Logger
  readonly #bindings: Bindings
  readonly #options: ChildLoggerOptions
  #child: Logger | undefined

  constructor (parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }

  #real (): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options)
    return this.#child
  }

  #write (level: Level, args: LogArguments): void {
    if (this.#child === undefined && !this.#parent.isLevelEnabled(level)) return
    const log = this.#real()[level] as (...args: LogArguments) => void
    log.apply(this.#child, args)
  }

  get level (): string { return this.#child?.level ?? this.#parent.level }
  set level (level: string) { this.#real().level = level }
  fatal (...args: LogArguments): void { this.#write('fatal', args) }
  error (...args: LogArguments): void { this.#write('error', args) }
  warn (...args: LogArguments): void { this.#write('warn', args) }
  info (...args: LogArguments): void { this.#write('info', args) }
  debug (...args: LogArguments): void { this.#write('debug', args) }
  trace (...args: LogArguments): void { this.#write('trace', args) }
  silent (): void {}
  child (bindings: Bindings, options?: ChildLoggerOptions): Logger { return this.#real().child(bindings, options) }
}

/** Fastify's `childLoggerFactory`: a request logger that costs nothing until used (a route with its own log level gets a real child at once). */
export function lazyRequestLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  const parent = logger as Logger
  if (options.level !== undefined) return parent.child(bindings, options) as FastifyBaseLogger
  return new LazyRequestLogger(parent, bindings, options) as unknown as FastifyBaseLogger
}

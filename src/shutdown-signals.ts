import type { FastifyInstance } from 'fastify'
import type { Config } from './config.ts'
import type { Logger } from './logger.ts'

export interface ShutdownSignalsOptions {
  app: FastifyInstance
  config: Pick<Config, 'shutdownDrainDelayMs' | 'shutdownTimeoutMs'>
  logger: Logger
  /** `process.exit`, injectable in tests. */
  exit?: (code: number) => void
  /** Where the signals come from; `process` unless a test passes its own emitter. */
  signals?: Pick<NodeJS.Process, 'on'>
  /** Defaults to SHUTDOWN_WATCHDOG_MARGIN_MS; shorter in tests. */
  watchdogMarginMs?: number
  /** Runs once the app is closed, before the exit (the metrics listener: a scrape during the drain still sees the shutdown's counts). */
  afterClose?: () => Promise<void>
}

/** Margin past SHUTDOWN_DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS for closing the stores, before the watchdog gives up. */
export const SHUTDOWN_WATCHDOG_MARGIN_MS = 5000

/**
 * Graceful stop on SIGTERM and SIGINT: /readyz turns 503, then (after SHUTDOWN_DRAIN_DELAY_MS) the app closes,
 * waiting up to SHUTDOWN_TIMEOUT_MS for handlers and late replies; exit 0.
 *
 * The listeners stay for the whole life of the process (`on`, not `once`): a signal sent to a process group
 * (Ctrl-C, systemd's KillMode=control-group, `docker run` with an npm CMD) reaches node twice, once directly and
 * once forwarded by npm, and a second copy without a listener would kill node with the pending late replies.
 * So later signals are logged and ignored: no signal can cut a drain short. What ends a stuck shutdown is
 * SIGKILL (a deliberate act: `docker kill`, systemd after TimeoutStopSec) or the watchdog below, which exits 1
 * when closing takes SHUTDOWN_WATCHDOG_MARGIN_MS longer than it is allowed to.
 */
export function handleShutdownSignals (options: ShutdownSignalsOptions): void {
  const { app, config, logger } = options
  const exit = options.exit ?? ((code: number) => process.exit(code))
  let stopping = false

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.info({ signal }, 'already shutting down: signal ignored; the drain ends by itself (SIGKILL stops at once)')
      return
    }
    stopping = true
    app.fanbot.readiness.markShuttingDown()
    const { shutdownDrainDelayMs, shutdownTimeoutMs } = config
    logger.info({ signal, pending: app.fanbot.dispatcher.pending, drainDelayMs: shutdownDrainDelayMs },
      'shutting down: /readyz answers 503; then no new requests; finishing handlers and late replies')
    const watchdogMs = shutdownDrainDelayMs + shutdownTimeoutMs + (options.watchdogMarginMs ?? SHUTDOWN_WATCHDOG_MARGIN_MS)
    setTimeout(() => {
      logger.error({ watchdogMs }, 'shutdown did not finish in time: exiting 1 without waiting further')
      exit(1)
    }, watchdogMs).unref()
    const drained = new Promise((resolve) => setTimeout(resolve, shutdownDrainDelayMs))
    drained.then(async () => { await app.close(); await options.afterClose?.() }).then(() => {
      logger.info('shutdown complete')
      exit(0)
    }, (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed')
      exit(1)
    })
  }
  const signals = options.signals ?? process
  signals.on('SIGTERM', stop)
  signals.on('SIGINT', stop)
}

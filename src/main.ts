import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import { loadConfig, type Config } from './config.ts'
import { isFanbotError } from './errors.ts'
import { loadDotEnv } from './env-file.ts'
import { createLogger, type Logger } from './logger.ts'
import { metricsAccess } from './metrics-access.ts'
import { buildMetricsServer } from './metrics-server.ts'

function warnAboutMissingCredentials (config: Config, logger: Logger): void {
  if (config.appSecret === undefined) {
    logger.warn('SIGNATURE VERIFICATION IS OFF: WEIBO_APP_SECRET is not set, so anyone can post pushes to this server. ' +
      'Set it to the app secret of the app key bound in Weibo (it is required when NODE_ENV=production).')
  }
  if (config.accessToken === undefined) {
    logger.warn('WEIBO_ACCESS_TOKEN is not set: late replies are logged as a dry run instead of sent to Weibo.')
  }
  if (metricsAccess(config, 'public').kind === 'refused' && config.metricsPort === undefined) {
    logger.warn('/metrics is refused on the public port (NODE_ENV=production without METRICS_TOKEN): set METRICS_PORT to serve it on a private port, or METRICS_TOKEN.')
  }
}

/** Pretty logs when asked for (or on a terminal with `auto`) and pino-pretty is installed (not in production images). */
function wantsPrettyLogs (config: Config): boolean {
  const wanted = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY)
  if (!wanted) return false
  try {
    import.meta.resolve('pino-pretty')
    return true
  } catch {
    process.stderr.write('weibo-fanbot: LOG_FORMAT asks for pretty logs, but pino-pretty is not installed (a dev dependency); logging JSON\n')
    return false
  }
}

type App = Awaited<ReturnType<typeof buildApp>>

/** The graceful stop: /readyz 503, the drain delay, then close (requests, handlers, late replies); a second signal exits. */
function gracefulStop (app: App, config: Config, logger: Logger, metricsServer: () => FastifyInstance | undefined): (signal: NodeJS.Signals) => void {
  let stopping = false
  return (signal) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting')
      process.exit(1)
    }
    stopping = true
    app.fanbot.readiness.markShuttingDown()
    const { shutdownDrainDelayMs } = config
    logger.info({ signal, pending: app.fanbot.dispatcher.pending, drainDelayMs: shutdownDrainDelayMs },
      'shutting down: /readyz answers 503; then no new requests; finishing handlers and late replies')
    const drained = new Promise((resolve) => setTimeout(resolve, shutdownDrainDelayMs))
    // Metrics close last: a scrape during the drain still sees the shutdown's counts.
    drained.then(async () => { await app.close(); await metricsServer()?.close() }).then(() => {
      logger.info('shutdown complete')
      process.exit(0)
    }, (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed')
      process.exit(1)
    })
  }
}

/** Starts the server: config, handlers, listen, and a graceful stop on SIGTERM/SIGINT. Exit code 1 when it cannot start. */
async function main (): Promise<void> {
  let config: Config
  try {
    loadDotEnv() // fills process.env from ./.env; the real environment wins
    config = loadConfig(process.env)
  } catch (error) {
    process.stderr.write(`weibo-fanbot: ${isFanbotError(error) ? `${error.code}: ${error.message}` : String(error)}\n`)
    process.exit(1)
  }
  const pretty = wantsPrettyLogs(config)
  const logger = createLogger({ level: config.logLevel, pretty })
  warnAboutMissingCredentials(config, logger)

  let app: App
  let metricsServer: FastifyInstance | undefined
  try {
    app = await buildApp({ config, logger })
    // Before listen: a signal that comes as soon as the port is open must find the graceful stop, not Node's default.
    const stop = gracefulStop(app, config, logger, () => metricsServer)
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
    await app.listen({ port: config.port, host: config.host })
    if (config.metricsPort !== undefined) {
      metricsServer = await buildMetricsServer({ config, metrics: app.fanbot.metrics, logger })
      await metricsServer.listen({ port: config.metricsPort, host: config.host })
    }
  } catch (error) {
    // JSON logs get the record (for the log collector); on a developer's terminal the stderr line alone says it.
    if (!pretty) logger.fatal({ err: error }, 'weibo-fanbot could not start')
    process.stderr.write(`weibo-fanbot: ${isFanbotError(error) ? `${error.code}: ${error.message}` : String(error)}\n`)
    process.exit(1)
  }
  logger.info({ callbackPath: config.callbackPath, handlers: app.fanbot.handlers.map((handler) => handler.name) }, 'weibo-fanbot is ready')
}

await main()

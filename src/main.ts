import type { FastifyInstance } from 'fastify'
import type { Accounts } from './accounts.ts'
import { buildApp } from './app.ts'
import { loadConfig, type Config } from './config.ts'
import { isFanbotError } from './errors.ts'
import { loadDotEnv } from './env-file.ts'
import { createLogger, type Logger } from './logger.ts'
import { metricsAccess } from './metrics-access.ts'
import { releaseStartupMemory } from './release-startup-memory.ts'
import { buildMetricsServer } from './metrics-server.ts'
import { handleShutdownSignals } from './shutdown-signals.ts'

function warnAboutMissingCredentials (config: Config, accounts: Accounts, logger: Logger): void {
  for (const endpoint of accounts.endpoints) {
    if (endpoint.appSecret !== undefined) continue
    logger.warn({ callbackPath: endpoint.path }, 'SIGNATURE VERIFICATION IS OFF: WEIBO_APP_SECRET is not set, so anyone can post pushes to this server. ' +
      'Set it to the app secret of the app key bound in Weibo (it is required when NODE_ENV=production).')
  }
  // With WEIBO_ACCOUNTS_FILE every account has its token (the file is refused otherwise).
  if (config.accountsFile === undefined && config.accessToken === undefined) {
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

/** Starts the server: config, handlers, listen, and a graceful stop on SIGTERM/SIGINT. Exit code 1 when it cannot start. */
async function main (): Promise<void> {
  let config: Config
  try {
    loadDotEnv() // fills process.env from ./.env; the real environment wins
    config = loadConfig(process.env, { requireAppSecret: process.argv.includes('--require-app-secret') })
  } catch (error) {
    process.stderr.write(`weibo-fanbot: ${isFanbotError(error) ? `${error.code}: ${error.message}` : String(error)}\n`)
    process.exit(1)
  }
  const pretty = wantsPrettyLogs(config)
  const logger = createLogger({ level: config.logLevel, pretty, flushMs: config.logFlushMs })

  let app: App
  let metricsServer: FastifyInstance | undefined
  try {
    app = await buildApp({ config, logger })
    warnAboutMissingCredentials(config, app.fanbot.accounts, logger)
    // Before listening: a signal that arrives as soon as the port is open must find its listener.
    handleShutdownSignals({ app, config, logger, afterClose: async () => { await metricsServer?.close() } })
    releaseStartupMemory() // before listening, so no push waits for this one GC
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
  const accounts = config.accountsFile === undefined
    ? {}
    : { accounts: app.fanbot.accounts.list.map((account) => ({ uid: account.uid, callbackPath: account.callbackPath })) }
  logger.info({ callbackPath: config.callbackPath, ...accounts, handlers: app.fanbot.handlers.map((handler) => handler.name) }, 'weibo-fanbot is ready')
}

await main()

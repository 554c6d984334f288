import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { metricsRoutes } from '../routes/metrics.ts'
import type { Config } from './config.ts'
import type { Logger } from './logger.ts'
import { metricsAccess } from './metrics-access.ts'
import type { Metrics } from './metrics.ts'

export interface MetricsServerOptions {
  config: Config
  metrics: Metrics
  logger: Logger
}

/**
 * The `/metrics` listener on METRICS_PORT: only the scrape route, apart from Weibo's public port, so a proxy or
 * a Kubernetes Service that exposes the callback never exposes the metrics. Never listens: `main.ts` does.
 */
export async function buildMetricsServer (options: MetricsServerOptions): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: options.logger.child({ server: 'metrics' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true })
  })
  await server.register(metricsRoutes, { registry: options.metrics.registry, access: metricsAccess(options.config, 'private') })
  return server
}

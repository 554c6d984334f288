import type { FastifyInstance } from 'fastify'
import type { Readiness } from '../src/readiness.ts'

export interface HealthRoutesOptions {
  readiness: Readiness
}

/**
 * Liveness (`/healthz`: 200 whenever the process answers; Docker's HEALTHCHECK) and readiness (`/readyz`: 200 when
 * handlers are loaded and every store answers, 503 from the moment shutdown begins, so a load balancer drains us).
 */
export async function healthRoutes (app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    const report = await options.readiness.report()
    return await reply.code(report.ready ? 200 : 503).send(report)
  })
}

import type { FastifyInstance } from 'fastify'

/** Liveness: 200 whenever the process answers HTTP (Docker's HEALTHCHECK calls it). */
export async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }))
}

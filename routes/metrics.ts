import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { FanbotError } from '../src/errors.ts'

export interface MetricsRoutesOptions {
  registry: Registry
  /** When set, `/metrics` wants `Authorization: Bearer <token>`. */
  token: string | undefined
}

function sameSecret (given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Prometheus scrape endpoint, in the text exposition format. */
export async function metricsRoutes (app: FastifyInstance, options: MetricsRoutesOptions): Promise<void> {
  app.get('/metrics', async (request, reply) => {
    if (options.token !== undefined) {
      const header = request.headers.authorization ?? ''
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : ''
      if (!sameSecret(given, options.token)) {
        const error = new FanbotError('WEIBO_ERR_METRICS_UNAUTHORIZED')
        return await reply.code(error.statusCode).header('www-authenticate', 'Bearer').send({ code: error.code, message: error.message })
      }
    }
    return await reply.type(options.registry.contentType).send(await options.registry.metrics())
  })
}

import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { FanbotError } from '../src/errors.ts'

export interface MetricsRoutesOptions {
  registry: Registry
  /**
   * `open`: anyone may scrape; `token`: `Authorization: Bearer <token>` wanted; `refused`: never served here
   * (production without a token: metrics show handler names, traffic and error codes to anyone).
   */
  access: { kind: 'open' } | { kind: 'token', token: string } | { kind: 'refused' }
}

function sameSecret (given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Prometheus scrape endpoint, in the text exposition format. */
export async function metricsRoutes (app: FastifyInstance, options: MetricsRoutesOptions): Promise<void> {
  const { access } = options
  app.get('/metrics', async (request, reply) => {
    if (access.kind === 'refused') {
      const error = new FanbotError('WEIBO_ERR_METRICS_NOT_PUBLIC')
      return await reply.code(error.statusCode).send({ code: error.code, message: error.message })
    }
    if (access.kind === 'token') {
      const header = request.headers.authorization ?? ''
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : ''
      if (!sameSecret(given, access.token)) {
        const error = new FanbotError('WEIBO_ERR_METRICS_UNAUTHORIZED')
        return await reply.code(error.statusCode).header('www-authenticate', 'Bearer').send({ code: error.code, message: error.message })
      }
    }
    return await reply.type(options.registry.contentType).send(await options.registry.metrics())
  })
}

import type { ServerOptions } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import type { Config } from './config.ts'
import { FanbotError } from './errors.ts'

type EdgeConfig = Pick<Config, 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'maxRequestsPerSocket'>

export type ServerLimits = Required<Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout' | 'maxRequestsPerSocket' | 'frameworkErrors'>> & {
  http: ServerOptions
}

/** A client sees the short registry message and the code, never its own input echoed back. */
export function sendFanbotError (reply: FastifyReply, error: FanbotError): FastifyReply {
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send({ code: error.code, message: error.message })
}

/**
 * Socket and request limits for the Fastify constructor. Weibo gives up after 5 s, so a request that has not
 * arrived whole within REQUEST_TIMEOUT_MS is not from Weibo: Node answers it 408 and closes the socket, and a
 * socket silent that long mid-request is closed too. Node checks request deadlines on a timer
 * (`connectionsCheckingInterval`, 30 s by default): it runs often enough here for the limit to mean what it says.
 */
export function serverLimits (config: EdgeConfig): ServerLimits {
  const { requestTimeoutMs } = config
  return {
    requestTimeout: requestTimeoutMs,
    connectionTimeout: requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    maxRequestsPerSocket: config.maxRequestsPerSocket,
    http: {
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(requestTimeoutMs / 4)))
    },
    // A malformed URL: Fastify's own answer would echo it (query string, signature included).
    frameworkErrors: (_error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      sendFanbotError(reply, new FanbotError('WEIBO_ERR_REQUEST_INVALID'))
    }
  }
}

/**
 * What every route shares at the edge: a 404 that does not echo the request (Fastify's echoes the query string,
 * signature included), and bodies read whatever their Content-Type says. Weibo documents no Content-Type for
 * pushes; Fastify would refuse a malformed header (`application/json charset=UTF-8`, `;`, a list…) before our
 * code runs, losing the push, so the header is dropped and the callback route's catch-all parser reads the body.
 */
export function installEdgeHandlers (app: FastifyInstance, options: { maxConnections: number }): void {
  // Connections past this are closed by Node as they arrive (a slow-client flood cannot exhaust descriptors).
  app.server.maxConnections = options.maxConnections
  // Hooks on every request take a callback, not a promise: an async hook costs a promise and a microtask per request.
  app.addHook('onRequest', (request, _reply, done) => {
    // Set to undefined, not deleted: Fastify reads only `=== undefined`, and a delete would turn the headers object
    // into a slow dictionary for every later header read of the request.
    if (request.raw.headers['content-type'] !== undefined) request.raw.headers['content-type'] = undefined
    done()
  })
  app.setNotFoundHandler((_request, reply) => {
    sendFanbotError(reply, new FanbotError('WEIBO_ERR_NOT_FOUND'))
  })
}

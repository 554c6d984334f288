import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { callbackRoutes } from '../routes/callback.ts'
import { healthRoutes } from '../routes/health.ts'
import { metricsRoutes } from '../routes/metrics.ts'
import type { Config } from './config.ts'
import type { DedupStore } from './dedup/dedup-store.ts'
import { createDispatcher, type Dispatcher } from './dispatcher.ts'
import type { Handler, LoadedHandler } from './handler.ts'
import { loadHandlers, normaliseHandlers } from './handler-loader.ts'
import { createHandlerRouter } from './handler-router.ts'
import { createLateReplySender } from './late-reply.ts'
import { createLogger, type Logger } from './logger.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { createPushProcessor } from './push-processor.ts'
import { createReadiness, type Readiness } from './readiness.ts'
import { lazyRequestLogger } from './request-logger.ts'
import type { PushStreamRunner } from './push-stream/stream-setup.ts'
import { setUpReplyQuota } from './reply-quota/quota-setup.ts'
import { createStreamDispatcher, type StreamDispatcher } from './push-stream/stream-dispatcher.ts'
import type { ReplyQuota } from './reply-quota/reply-quota.ts'
import { setUpDedupStore, type StoreSetup } from './storage/storage.ts'
import { createWeiboApiClient, type WeiboApiClient } from './weibo-api/client.ts'
import { createWeiboHttp, type WeiboHttpOptions } from './weibo-api/http.ts'
import { createCommercialLimiter } from './weibo-api/rate-limiter.ts'

export interface BuildAppOptions {
  config: Config
  /** Defaults to a pino logger at `config.logLevel` on stdout. */
  logger?: Logger
  /** Handler objects to use instead of loading `config.handlersDir` (tests, the test kit). */
  handlers?: readonly Handler[]
  /** Defaults to the in-memory LRU store sized by DEDUP_MAX / DEDUP_TTL_MS. */
  store?: DedupStore
  /** Wall clock in ms for the signature freshness check; injectable in tests. */
  now?: () => number
}

/** What the app exposes to its entry point and tests, beside HTTP. */
export interface Fanbot {
  config: Config
  dispatcher: Dispatcher
  api: WeiboApiClient
  handlers: readonly LoadedHandler[]
  store: DedupStore
  readiness: Readiness
  metrics: Metrics
  /** The bot's tracking of reply windows and quotas; undefined with REPLY_QUOTA_ENFORCE=false. */
  quota: ReplyQuota | undefined
  /** The commercial push stream, when WEIBO_PUSH_SUBID is set; it connects once the app is ready. */
  pushStream: PushStreamRunner | undefined
  /** Stream records to handlers (the push stream's consumer; the test kit's `publish` calls it directly). */
  streamDispatcher: StreamDispatcher
}

declare module 'fastify' {
  interface FastifyInstance {
    fanbot: Fanbot
  }
}

/**
 * Builds the whole server (never listens: `main.ts` does). Closing it stops accepting, finishes open requests,
 * then waits for running handlers and late replies up to SHUTDOWN_TIMEOUT_MS.
 */
export async function buildApp (options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options
  const logger = options.logger ?? createLogger({ level: config.logLevel })
  const handlers = options.handlers === undefined
    ? await loadHandlers(config.handlersDir)
    : options.handlers.length === 0 ? [] : normaliseHandlers({ file: '<inline>', exported: [...options.handlers] })
  // Metrics count store errors, and read the store's size at scrape time: the store is set up after them.
  const storeRef: { current?: DedupStore } = {}
  const metrics = createMetrics({ dedupEntries: () => storeRef.current?.size ?? 0 })
  const storeSetup: StoreSetup = options.store === undefined
    ? await setUpDedupStore({ config, logger, metrics })
    : { store: options.store, kind: 'memory', close: async () => {} }
  const store = storeSetup.store
  storeRef.current = store
  const quota = setUpReplyQuota({ config, storeSetup, logger, metrics, ...(options.now === undefined ? {} : { now: options.now }) })
  const countApiAttempt: NonNullable<WeiboHttpOptions['onAttempt']> = ({ request, outcome, errorCode }) => {
    metrics.apiCalls.inc({ endpoint: request, outcome, error_code: errorCode === undefined ? 'none' : String(errorCode) })
  }
  // One commercial budget per process, shared by the app's client and the outbox worker's.
  const commercialLimiter = createCommercialLimiter({ reservoir: config.commercialRequestsPerHour })
  const api = createWeiboApiClient({
    http: createWeiboHttp({
      baseUrl: config.apiBaseUrl,
      accessToken: config.accessToken,
      timeoutMs: config.apiTimeoutMs,
      maxRetries: config.apiMaxRetries,
      retryMinMs: config.apiRetryMinMs,
      logger,
      onAttempt: countApiAttempt,
      commercialLimiter
    }),
    saveSenderBox: config.replySaveSenderBox,
    replyEndpoint: config.replyEndpoint,
    quota,
    commercialBaseUrl: config.commercialApiBaseUrl,
    uploadBaseUrl: config.uploadApiBaseUrl,
    openBaseUrl: config.openApiBaseUrl
  })
  // With Redis, late replies go through the durable outbox (BullMQ); without it (or when REDIS_OPTIONAL started
  // this replica in memory), straight to the API.
  // Loaded only when used (here and for the push stream below): BullMQ, ioredis and the stream client are about
  // a third of an idle server's memory, and most bots run without them (bench/README.md, idle RSS).
  const outboxModule = storeSetup.kind !== 'redis' || config.redisUrl === undefined ? undefined : await import('./outbox/outbox.ts')
  const outbox = outboxModule === undefined
    ? undefined
    : outboxModule.createOutbox({
      config,
      api,
      logger,
      onApiAttempt: countApiAttempt,
      commercialLimiter,
      quota,
      observer: {
        enqueued: (result) => { metrics.outboxEnqueued.inc({ result }) },
        attempted: (outcome) => { metrics.outboxAttempts.inc({ outcome }) }
      }
    })
  const router = createHandlerRouter(handlers, logger)
  const dispatcher = createDispatcher({
    router,
    store,
    lateReply: outbox?.lateReply ?? createLateReplySender({ api, logger }),
    api,
    quota,
    logger,
    replyDeadlineMs: config.replyDeadlineMs,
    handlerTimeoutMs: config.handlerTimeoutMs,
    metrics
  })

  const streamDispatcher = createStreamDispatcher({ router, api, logger, handlerTimeoutMs: config.handlerTimeoutMs, metrics })
  const pushStream = config.pushStream === undefined
    ? undefined
    : (await import('./push-stream/stream-setup.ts')).setUpPushStream({ config, storeSetup, dispatcher: streamDispatcher, logger, metrics, commercialLimiter })

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per push is written by the push processor; Fastify's request lines would double it (and log URLs).
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: config.bodyLimitBytes
  })
  const readiness = createReadiness({
    checks: store.ping === undefined ? [] : [{ name: 'dedup-store', check: store.ping }]
  })
  app.decorate('fanbot', { config, dispatcher, api, handlers, store, readiness, metrics, pushStream, streamDispatcher, quota })
  // Node closes only the connections idle when close() starts; one that finishes a request later would hold the
  // process for Fastify's 72 s keep-alive. Asking clients to close after each response during shutdown avoids it.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
    readiness.markShuttingDown()
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
  app.addHook('onReady', async () => {
    if (pushStream === undefined) return
    if (!handlers.some((handler) => handler.triggers.some((trigger) => trigger === 'status' || trigger === 'comment'))) {
      logger.warn({ pushStream: { subid: config.pushStream?.subid } }, "WEIBO_PUSH_SUBID is set but no handler listens to 'status' or 'comment': stream records will be read and dropped")
    }
    pushStream.start()
  })
  app.addHook('onClose', async () => {
    await Promise.all([
      dispatcher.drain(config.shutdownTimeoutMs), // first: late replies still being handed to the outbox
      pushStream?.close() // stream handlers may still be sending direct messages
    ])
    await outbox?.close() // the worker finishes the replies it is sending; queued ones stay in Redis
    await storeSetup.close()
    // A request still waiting for the hourly refill (the budget spent) would hold the process open for up to an hour.
    await commercialLimiter.stop({ dropWaitingJobs: true })
  })

  await app.register(healthRoutes, { readiness })
  await app.register(metricsRoutes, { registry: metrics.registry, token: config.metricsToken })
  await app.register(callbackRoutes, {
    path: config.callbackPath,
    appSecret: config.appSecret,
    signatureMaxAgeMs: config.signatureMaxAgeMs,
    now: options.now ?? Date.now,
    bodyLimitBytes: config.bodyLimitBytes,
    overloadMaxEventLoopDelayMs: config.overloadMaxEventLoopDelayMs,
    pushes: createPushProcessor({ dispatcher, logger, metrics })
  })
  return app
}

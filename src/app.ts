import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { callbackRoutes } from '../routes/callback.ts'
import { healthRoutes } from '../routes/health.ts'
import { metricsRoutes } from '../routes/metrics.ts'
import { createAccountApis, type AccountApis } from './account-apis.ts'
import { accountsFromEntries, loadAccounts, type AccountEntry, type Accounts } from './accounts.ts'
import type { Config } from './config.ts'
import type { DedupStore } from './dedup/dedup-store.ts'
import { createDispatcher, type Dispatcher } from './dispatcher.ts'
import type { Handler, LoadedHandler } from './handler.ts'
import { loadHandlerModules, normaliseModule, type LoadedModules } from './handler-loader.ts'
import type { HandlerRun } from './handler-runner.ts'
import { installEdgeHandlers, serverLimits } from './http-edge.ts'
import { checkAccountFilters } from './handler-accounts.ts'
import { createHandlerRouter } from './handler-router.ts'
import { createLateReplySender, type LateReplyObserver } from './late-reply.ts'
import { createLogger, type Logger } from './logger.ts'
import { metricsAccess } from './metrics-access.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { createPushProcessor } from './push-processor.ts'
import { createReadiness, type Readiness } from './readiness.ts'
import { lazyRequestLogger } from './request-logger.ts'
import type { PushStreamRunner } from './push-stream/stream-setup.ts'
import { setUpReplyQuota } from './reply-quota/quota-setup.ts'
import { setUpReplayGuard } from './replay/replay-guard.ts'
import { createStreamDispatcher, type StreamDispatcher } from './push-stream/stream-dispatcher.ts'
import { createAccountQuotas } from './reply-quota/account-quota.ts'
import type { ReplyQuota } from './reply-quota/reply-quota.ts'
import { memoryStorage, openStorage } from './storage/storage.ts'
import type { WeiboApiClient } from './weibo-api/client.ts'
import { createWeiboApiClientFromConfig } from './weibo-api/client-from-config.ts'
import type { WeiboHttpOptions } from './weibo-api/http.ts'
import { createCommercialLimiter } from './weibo-api/rate-limiter.ts'
import { orderMiddleware, type Middleware } from './middleware.ts'
import { createFanTurns } from './session/fan-turn.ts'
import { setUpSessions } from './session/session-setup.ts'
import type { SessionStore } from './session/session-store.ts'
import { within } from './within.ts'

export interface BuildAppOptions {
  config: Config
  /** Defaults to a pino logger at `config.logLevel` on stdout. */
  logger?: Logger
  /** Handler and middleware objects to use instead of loading `config.handlersDir` (tests, the test kit). */
  handlers?: ReadonlyArray<Handler | Middleware>
  /** Defaults to the in-memory LRU store sized by DEDUP_MAX / DEDUP_TTL_MS. */
  store?: DedupStore
  /** Wall clock in ms for the signature freshness check; injectable in tests. */
  now?: () => number
  /** Told of every handler run as it ends, failures included: the test kit and `chat` show them to the developer. */
  onHandlerRun?: (run: HandlerRun) => void
  /** Accounts to serve instead of reading WEIBO_ACCOUNTS_FILE (tests, the test kit); validated the same way. */
  accounts?: readonly AccountEntry[]
}

/** What the app exposes to its entry point and tests, beside HTTP. */
export interface Fanbot {
  config: Config
  dispatcher: Dispatcher
  /** The first account's client (the only one without WEIBO_ACCOUNTS_FILE); `apis.for(uid)` gives any account's. */
  api: WeiboApiClient
  /** The accounts served: the file's, or the single account of WEIBO_ACCESS_TOKEN / WEIBO_APP_SECRET / CALLBACK_PATH. */
  accounts: Accounts
  apis: AccountApis
  handlers: readonly LoadedHandler[]
  store: DedupStore
  /** Fans' sessions (`ctx.session`): in memory, or on Redis beside dedup. */
  sessions: SessionStore
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

/** TRUST_PROXY as a hop count: the nearest `hops` proxies are trusted (what proxy-addr does with a number). */
function trustHops (hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops
}

/**
 * Builds the whole server (never listens: `main.ts` does). Closing it stops accepting, finishes open requests,
 * then waits for running handlers and late replies up to SHUTDOWN_TIMEOUT_MS.
 */
export async function buildApp (options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options
  const logger = options.logger ?? createLogger({ level: config.logLevel })
  const modules: LoadedModules = options.handlers === undefined
    ? await loadHandlerModules(config.handlersDir)
    : options.handlers.length === 0 ? { handlers: [], middleware: [] } : normaliseModule({ file: '<inline>', exported: [...options.handlers] })
  const { handlers } = modules
  const accounts = options.accounts === undefined ? await loadAccounts(config) : accountsFromEntries(options.accounts, config, '<buildApp accounts>')
  const uids = accounts.list.flatMap((account) => account.uid === undefined ? [] : [account.uid])
  checkAccountFilters([...handlers, ...modules.middleware], uids.length === 0 ? undefined : uids)
  // Metrics count store errors, and read the store's size at scrape time: the store is set up after them.
  const storeRef: { current?: DedupStore } = {}
  const { expose, ...metrics } = createMetrics({ dedupEntries: () => storeRef.current?.size ?? 0 })
  const storage = options.store === undefined ? await openStorage({ config, logger, metrics }) : memoryStorage(options.store)
  const store = storage.dedup
  storeRef.current = store
  const replayGuard = setUpReplayGuard({ config, storage, logger, metrics })
  const quota = await setUpReplyQuota({ config, storage, logger, metrics, ...(options.now === undefined ? {} : { now: options.now }) })
  const countApiAttempt: NonNullable<WeiboHttpOptions['onAttempt']> = ({ request, outcome, errorCode }) => {
    metrics.apiCalls.inc({ endpoint: request, outcome, error_code: errorCode === undefined ? 'none' : String(errorCode) })
  }
  // One commercial budget per process, shared by the app's client and the outbox worker's.
  const commercialLimiter = createCommercialLimiter({ reservoir: config.commercialRequestsPerHour })
  // Each account's fans have their own reply windows and quotas (keys `<uid>:<fan>`); one account keeps plain keys.
  const accountQuotas = createAccountQuotas(accounts, quota)
  const buildApis = (maxRetries?: number): AccountApis => createAccountApis({
    accounts,
    build: (account) => createWeiboApiClientFromConfig({
      config, logger, quota: accountQuotas.of(account), onAttempt: countApiAttempt, commercialLimiter, accessToken: account.accessToken, ...(maxRetries === undefined ? {} : { maxRetries })
    })
  })
  const apis = buildApis()
  const { default: api } = apis
  // Every mode counts how late replies end: directly here, or by the outbox worker that sent them.
  const lateReplyObserver: LateReplyObserver = {
    ended: ({ outcome, timeToFanMs, accountId }) => {
      metrics.lateReplies.inc({ outcome, account: accounts.labelOf(accountId) })
      if (timeToFanMs !== undefined) metrics.lateReplyTimeToFan.observe(timeToFanMs / 1000)
    }
  }
  // With Redis, late replies go through the durable outbox (BullMQ); without it (or when REDIS_OPTIONAL started
  // this replica in memory), straight to the API.
  // Loaded only when used (here and for the push stream below): BullMQ, ioredis and the stream client are about
  // a third of an idle server's memory, and most bots run without them (bench/README.md, idle RSS).
  const outboxModule = storage.kind !== 'redis' || config.redisUrl === undefined ? undefined : await import('./outbox/outbox.ts')
  const outbox = outboxModule === undefined
    ? undefined
    : outboxModule.createOutbox({
      config,
      api,
      // No inner retries in the worker's clients: BullMQ retries the job.
      apis: { app: apis, worker: buildApis(0) },
      logger,
      onApiAttempt: countApiAttempt,
      commercialLimiter,
      quota,
      observer: {
        enqueued: (result) => { metrics.outboxEnqueued.inc({ result }) },
        attempted: (outcome) => { metrics.outboxAttempts.inc({ outcome }) },
        ...lateReplyObserver
      }
    })
  // Only what runs is exported: a scrape with stream_connected 0 would read as "the stream is down".
  expose({ pushStream: config.pushStream !== undefined, outbox: outbox !== undefined, quota: quota !== undefined, redis: storage.kind === 'redis' })
  const router = createHandlerRouter(handlers, logger)
  // Sessions and the per-fan queue live where dedup lives (memory, or the same Redis).
  const sessionSetup = setUpSessions({ config, storage, logger })
  const turns = createFanTurns({
    router,
    middleware: orderMiddleware(modules.middleware),
    sessions: sessionSetup.sessions,
    queue: sessionSetup.queue,
    api,
    apis,
    logger,
    handlerTimeoutMs: config.handlerTimeoutMs,
    metrics,
    onHandlerRun: options.onHandlerRun
  })
  const dispatcher = createDispatcher({
    router,
    turns,
    store,
    lateReply: outbox?.lateReply ?? createLateReplySender({ api, apis, logger, observer: lateReplyObserver }),
    api,
    quota: accountQuotas.recorder,
    accountLabel: accounts.labelOf,
    logger,
    replyDeadlineMs: config.replyDeadlineMs,
    handlerTimeoutMs: config.handlerTimeoutMs,
    metrics,
    onHandlerRun: options.onHandlerRun
  })

  // The push stream and its stores are loaded only when configured (bench/README.md, idle RSS).
  const streamSetup = config.pushStream === undefined ? undefined : await import('./push-stream/stream-setup.ts')
  const streamDeadLetters = streamSetup?.setUpStreamDeadLetters({ config, storage })
  const streamDispatcher = createStreamDispatcher({
    router,
    api,
    logger,
    handlerTimeoutMs: config.handlerTimeoutMs,
    metrics,
    onHandlerRun: options.onHandlerRun,
    ...(config.pushStream === undefined ? {} : { attempts: config.pushStream.handlerAttempts, backoffMs: config.pushStream.handlerBackoffMs }),
    ...(streamDeadLetters === undefined ? {} : { deadLetters: streamDeadLetters })
  })
  const pushStream = streamSetup?.setUpPushStream({
    config, storage, dispatcher: streamDispatcher, logger, metrics, commercialLimiter, ...(streamDeadLetters === undefined ? {} : { deadLetters: streamDeadLetters })
  })

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per push is written by the push processor; Fastify's request lines would double it (and log URLs).
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: config.bodyLimitBytes,
    // request.ip (logged on refused requests) reads X-Forwarded-For only from the proxies trusted here.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    ...serverLimits(config)
  })
  installEdgeHandlers(app, { maxConnections: config.maxConnections })
  const readiness = createReadiness({
    checks: store.ping === undefined ? [] : [{ name: 'dedup-store', check: store.ping }]
  })
  app.decorate('fanbot', { config, dispatcher, api, accounts, apis, handlers, store, sessions: sessionSetup.sessions, readiness, metrics, pushStream, streamDispatcher, quota })
  // Node closes only the connections idle when close() starts; one that finishes a request later would hold the
  // process for Fastify's 72 s keep-alive. Asking clients to close after each response during shutdown avoids it.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
    readiness.markShuttingDown()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
  app.addHook('onReady', async () => {
    if (pushStream === undefined) return
    if (!handlers.some((handler) => handler.triggers.some((trigger) => trigger === 'status' || trigger === 'comment'))) {
      logger.warn({ pushStream: { subid: config.pushStream?.subid } }, "WEIBO_PUSH_SUBID is set but no handler listens to 'status' or 'comment': stream records will be read and dropped")
    }
    pushStream.start()
  })
  app.addHook('onClose', async () => {
    // One budget for the whole shutdown, every step within it: a Redis or Weibo that never answers cannot hold it.
    const deadline = Date.now() + config.shutdownTimeoutMs
    const left = (): number => Math.max(0, deadline - Date.now())
    await Promise.all([
      dispatcher.drain(left()), // first: late replies still being handed to the outbox
      pushStream === undefined ? undefined : within(pushStream.close(), left()) // stream handlers may still be sending direct messages
    ])
    await outbox?.close(left()) // the worker finishes the replies it is sending; queued ones stay in Redis
    await sessionSetup.close() // no push is running now: stops the fan queue's lease renewal
    if (!await within(storage.close(), left())) logger.warn('shutdown: the dedup store did not close in time; its connections were left')
    // A request still waiting for the hourly refill (the budget spent) would hold the process open for up to an hour.
    await commercialLimiter.stop({ dropWaitingJobs: true })
  })

  await app.register(healthRoutes, { readiness })
  // With METRICS_PORT, /metrics lives only on that port (main.ts listens on it), never on Weibo's public one.
  if (config.metricsPort === undefined) await app.register(metricsRoutes, { registry: metrics.registry, access: metricsAccess(config, 'public') })
  const pushes = createPushProcessor({ dispatcher, logger, metrics, accountLabel: accounts.labelOf })
  // One callback route per path of the accounts: its secret verifies the push, its accounts are the receivers it takes.
  for (const endpoint of accounts.endpoints) {
    await app.register(callbackRoutes, {
      path: endpoint.path,
      appSecret: endpoint.appSecret,
      accounts: endpoint.uids,
      signatureMaxAgeMs: config.signatureMaxAgeMs,
      now: options.now ?? Date.now,
      bodyLimitBytes: config.bodyLimitBytes,
      replayGuard,
      overloadMaxEventLoopDelayMs: config.overloadMaxEventLoopDelayMs,
      pushes,
      observeResponse: ({ method, status, seconds }) => { metrics.callbackDuration.observe({ method, status: String(status) }, seconds) }
    })
  }
  return app
}

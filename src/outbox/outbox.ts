import type { AccountApis } from '../account-apis.ts'
import type { Config } from '../config.ts'
import type { LateReplySender } from '../late-reply.ts'
import type { Logger } from '../logger.ts'
import type { ReplyQuota } from '../reply-quota/reply-quota.ts'
import type { WeiboApiClient } from '../weibo-api/client.ts'
import { createWeiboApiClientFromConfig } from '../weibo-api/client-from-config.ts'
import type { WeiboHttpOptions } from '../weibo-api/http.ts'
import { openRedis, PATIENT_OPTIONS } from '../storage/redis-connection.ts'
import { within } from '../within.ts'
import type { OutboxObserver } from './outbox-observer.ts'
import { createOutboxQueue, type OutboxQueue } from './outbox-queue.ts'
import { createOutboxSender } from './outbox-sender.ts'
import { createRedisDeliveryStore } from './redis-delivery-store.ts'
import { startOutboxWorker, type OutboxWorker } from './outbox-worker.ts'

export interface CreateOutboxOptions {
  /** Needs `redisUrl`; reads the prefix, the OUTBOX_* knobs and the Weibo API settings. */
  config: Config
  /** The app's API client: the sender's dry-run check and its direct fallback. */
  api: WeiboApiClient
  /**
   * Several accounts: the app's clients per account (the sender's), and the worker's (built with maxRetries 0):
   * each job is sent with its account's client. Default: `api`, and one worker client from the config.
   */
  apis?: { app: AccountApis, worker: AccountApis }
  logger: Logger
  observer?: OutboxObserver
  /** Told of every attempt of the worker's API calls, like the app client's (for `weibo_fanbot_api_calls_total`). */
  onApiAttempt?: WeiboHttpOptions['onAttempt']
  /** The app's commercial (c.api) budget, shared so that biz replies count against the same 50,000/hour. */
  commercialLimiter?: WeiboHttpOptions['commercialLimiter']
  /** The app's reply tracker: a queued late reply is checked and counted when the worker sends it. */
  quota?: ReplyQuota | undefined
}

export interface Outbox {
  /** Pass to the dispatcher as `lateReply`. */
  lateReply: LateReplySender
  queue: OutboxQueue
  worker: OutboxWorker
  /**
   * Stops the worker (waiting for the replies being sent), then the queue and its connections, all within
   * `timeoutMs` (default unbounded): what is not finished by then is logged with its count and left behind (a job
   * being sent stays in Redis and is sent again by another replica once its lock expires).
   */
  close: (timeoutMs?: number) => Promise<void>
}

/**
 * The durable outbox for late replies, as a server wires it with REDIS_URL: a queue (producer) on a connection
 * that comes up in the background, a worker (consumer) unless OUTBOX_CONCURRENCY=0, and the LateReplySender
 * the dispatcher calls. It never fails the start: while Redis is down, late replies are sent directly.
 */
export function createOutbox (options: CreateOutboxOptions): Outbox {
  const { config, logger } = options
  if (config.redisUrl === undefined) throw new TypeError('createOutbox needs config.redisUrl (REDIS_URL)')
  const queue = createOutboxQueue({
    connection: openRedis({
      url: config.redisUrl,
      logger,
      name: 'weibo-fanbot-outbox',
      messages: {
        down: 'outbox: Redis unreachable; late replies are sent directly (not durable) until it is back',
        back: 'outbox: Redis back; late replies are queued again'
      }
    }),
    prefix: config.redisKeyPrefix,
    attempts: config.outboxAttempts,
    backoffMs: config.outboxBackoffMs,
    logger
  })
  // No inner retries: BullMQ retries the job.
  const workerApi = options.apis?.worker.default ?? createWeiboApiClientFromConfig({
    config,
    logger,
    quota: options.quota,
    onAttempt: options.onApiAttempt,
    commercialLimiter: options.commercialLimiter,
    maxRetries: 0
  })
  const observer = options.observer === undefined ? {} : { observer: options.observer }
  // The delivery records' own connection: a "sent" mark must wait out an outage, not time out like an enqueue.
  const records = openRedis({
    url: config.redisUrl,
    logger,
    name: 'weibo-fanbot-outbox-deliveries',
    options: PATIENT_OPTIONS,
    messages: { down: 'outbox: delivery records unreachable; sending from the outbox waits until Redis is back', back: 'outbox: delivery records back' }
  })
  const worker = startOutboxWorker({
    deliveries: createRedisDeliveryStore({ redis: records, prefix: config.redisKeyPrefix }),
    // A part's claim outlives its API call (with the client's timeout) and the write of its mark.
    leaseMs: config.apiTimeoutMs + 5000,
    lockMs: config.outboxLockMs,
    redisUrl: config.redisUrl,
    prefix: config.redisKeyPrefix,
    concurrency: config.outboxConcurrency,
    api: workerApi,
    ...(options.apis === undefined ? {} : { apis: options.apis.worker }),
    logger,
    ...observer
  })
  const sender = createOutboxSender({ outbox: queue, api: options.api, ...(options.apis === undefined ? {} : { apis: options.apis.app }), logger, ...observer })
  return {
    lateReply: sender,
    queue,
    worker,
    async close (timeoutMs = Number.POSITIVE_INFINITY) {
      const deadline = Date.now() + timeoutMs
      const left = (): number => Math.min(deadline - Date.now(), 2 ** 31 - 1)
      sender.close()
      const sending = worker.sending
      if (!await within(worker.close(), left())) {
        logger.error({ outbox: { sending, timeoutMs } },
          'shutdown: the outbox worker did not stop in time; the late replies it was sending stay in Redis and are sent by another replica once their lock expires')
        worker.abandon()
      }
      if (!await within(queue.close(), left())) queue.abandon()
      // quit() would wait for a connection that is down (its offline queue keeps commands): disconnect then.
      if (records.status !== 'ready' || !await within(records.quit(), left())) records.disconnect()
    }
  }
}

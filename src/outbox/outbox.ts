import type { Config } from '../config.ts'
import type { LateReplySender } from '../late-reply.ts'
import type { Logger } from '../logger.ts'
import type { ReplyQuota } from '../reply-quota/reply-quota.ts'
import type { WeiboApiClient } from '../weibo-api/client.ts'
import { createWeiboApiClientFromConfig } from '../weibo-api/client-from-config.ts'
import type { WeiboHttpOptions } from '../weibo-api/http.ts'
import { openOutboxConnection } from './outbox-connection.ts'
import type { OutboxObserver } from './outbox-observer.ts'
import { createOutboxQueue, type OutboxQueue } from './outbox-queue.ts'
import { createOutboxSender } from './outbox-sender.ts'
import { startOutboxWorker, type OutboxWorker } from './outbox-worker.ts'

export interface CreateOutboxOptions {
  /** Needs `redisUrl`; reads the prefix, the OUTBOX_* knobs and the Weibo API settings. */
  config: Config
  /** The app's API client: the sender's dry-run check and its direct fallback. */
  api: WeiboApiClient
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
  /** Stops the worker (waiting for the replies being sent), then the queue and its connection. */
  close: () => Promise<void>
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
    connection: openOutboxConnection({ url: config.redisUrl, logger, name: 'weibo-fanbot-outbox' }),
    prefix: config.redisKeyPrefix,
    attempts: config.outboxAttempts,
    backoffMs: config.outboxBackoffMs,
    logger
  })
  // No inner retries: BullMQ retries the job.
  const workerApi = createWeiboApiClientFromConfig({
    config,
    logger,
    quota: options.quota,
    onAttempt: options.onApiAttempt,
    commercialLimiter: options.commercialLimiter,
    maxRetries: 0
  })
  const observer = options.observer === undefined ? {} : { observer: options.observer }
  const worker = startOutboxWorker({
    redisUrl: config.redisUrl,
    prefix: config.redisKeyPrefix,
    concurrency: config.outboxConcurrency,
    api: workerApi,
    logger,
    ...observer
  })
  return {
    lateReply: createOutboxSender({ outbox: queue, api: options.api, logger, ...observer }),
    queue,
    worker,
    async close () {
      await worker.close()
      await queue.close()
    }
  }
}

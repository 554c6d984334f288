import { Worker } from 'bullmq'
import type { AccountApis } from '../account-apis.ts'
import type { Logger } from '../logger.ts'
import { safeRedisUrl } from '../storage/redis-connection.ts'
import { guardLateInitFailures } from './bullmq-close-guard.ts'
import type { WeiboApiClient } from '../weibo-api/client.ts'
import type { DeliveryStore } from './delivery-store.ts'
import { createDeliveryProcessor } from './outbox-delivery.ts'
import { LATE_REPLIES_QUEUE, type StoredOutboxJob } from './outbox-job.ts'
import type { OutboxObserver } from './outbox-observer.ts'

export interface OutboxWorkerOptions {
  redisUrl: string
  /** REDIS_KEY_PREFIX, the same as the queue's. */
  prefix: string
  /** OUTBOX_CONCURRENCY: late replies sent at once by this replica; 0 starts no worker. */
  concurrency: number
  /** Built with maxRetries 0 (see createOutbox): BullMQ's attempts and backoff are the only retry loop. */
  api: WeiboApiClient
  /** Several accounts: each job is sent with its account's client (see outbox-delivery.ts). */
  apis?: AccountApis
  logger: Logger
  observer?: OutboxObserver
  /** Per-part delivery records shared by every replica: a job run again skips the parts already sent. */
  deliveries?: DeliveryStore
  /** How long a part's claim holds (see outbox-delivery.ts). */
  leaseMs?: number
  /** OUTBOX_LOCK_MS: BullMQ's job lock, and how often stalled jobs (a dead worker's) are looked for. */
  lockMs?: number
}

export interface OutboxWorker {
  /** Whether this replica sends from the outbox (false with concurrency 0 or without a token). */
  readonly running: boolean
  /** Late replies being sent now. */
  readonly sending: number
  /** Stops taking jobs and waits for the ones being sent (each bounded by WEIBO_API_TIMEOUT_MS). */
  close: () => Promise<void>
  /** Drops its connections at once (a close that did not finish in time): its jobs stay in Redis. */
  abandon: () => void
}

/** Connection errors repeat at every reconnect attempt; one line per this many ms is enough to see the outage. */
const ERROR_LOG_INTERVAL_MS = 30_000

/**
 * The consumer side of the outbox: a BullMQ Worker sending late replies queued by any replica. It has its own
 * connections (BullMQ's blocking one wants no per-command retry limit), which reconnect by themselves. Without a
 * token nothing could be sent, so no worker starts: the jobs wait for a replica that has one.
 */
export function startOutboxWorker (options: OutboxWorkerOptions): OutboxWorker {
  const { logger } = options
  if (options.concurrency === 0 || !options.api.hasToken) {
    logger.info({ outbox: { concurrency: options.concurrency, hasToken: options.api.hasToken } },
      options.concurrency === 0 ? 'outbox worker not started (OUTBOX_CONCURRENCY=0): other replicas send the late replies' : 'outbox worker not started: WEIBO_ACCESS_TOKEN is not set')
    return { running: false, sending: 0, close: async () => {}, abandon: () => {} }
  }
  const deliver = createDeliveryProcessor(options)
  let sending = 0
  const worker = new Worker<StoredOutboxJob>(LATE_REPLIES_QUEUE, async (job) => {
    sending++
    try { await deliver(job) } finally { sending-- }
  }, {
    connection: {
      url: options.redisUrl,
      connectionName: 'weibo-fanbot-outbox-worker',
      // BullMQ's default waits up to 20 s between reconnects; late replies should resume sooner after an outage.
      retryStrategy: (times: number) => Math.min(200 * 2 ** times, 5000)
    },
    prefix: options.prefix,
    concurrency: options.concurrency,
    ...(options.lockMs === undefined ? {} : { lockDuration: options.lockMs, stalledInterval: options.lockMs })
  })
  guardLateInitFailures(worker)
  let lastErrorLog = 0
  worker.on('error', (error) => {
    if (Date.now() - lastErrorLog < ERROR_LOG_INTERVAL_MS) return
    lastErrorLog = Date.now()
    logger.warn({ outbox: { redis: safeRedisUrl(options.redisUrl), error: error.message } }, 'outbox worker cannot reach Redis; queued late replies wait until it is back')
  })
  worker.on('stalled', (jobId) => {
    logger.warn({ outbox: { jobId } }, 'outbox: a late reply was being sent by a worker that stopped; it runs again, skipping the parts recorded as sent')
  })
  logger.info({ outbox: { concurrency: options.concurrency, prefix: options.prefix } }, 'outbox worker started')
  return {
    running: true,
    get sending () { return sending },
    async close () {
      await worker.close()
    },
    abandon () {
      // Force: the connections are dropped without waiting for the jobs (their locks expire, another replica takes them).
      worker.disconnect().catch(() => {})
    }
  }
}

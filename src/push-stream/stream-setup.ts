import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Storage } from '../storage/storage.ts'
import type { StreamDispatcher } from './stream-dispatcher.ts'
import type { WeiboRateLimiter } from '../weibo-api/rate-limiter.ts'
import { createFileSinceIdStore } from './file-since-id-store.ts'
import { startPushStream, type PushStream } from './push-stream-client.ts'
import { createRedisSinceIdStore } from './redis-since-id-store.ts'
import { createMemoryStreamDedup } from './memory-stream-dedup-store.ts'
import { createRedisStreamDedup } from './redis-stream-dedup-store.ts'
import { createMemoryStreamDeadLetters } from './memory-stream-dead-letter-store.ts'
import { createRedisStreamDeadLetters } from './redis-stream-dead-letter-store.ts'
import type { StreamDeadLetterStore } from './stream-dead-letter-store.ts'
import { startStreamReplay, type StreamReplay } from './stream-replay.ts'

export interface PushStreamSetupOptions {
  config: Config
  /** Where the stream position and seen ids live: Redis (shared) or this process (the position in a file). */
  storage: Storage
  /** Runs the handlers for each record (the app's, shared with the test kit's `publish`). */
  dispatcher: StreamDispatcher
  logger: Logger
  metrics: Metrics
  /** The commercial (c.api) budget: each stream connection is one request of Weibo's 50,000 per hour per IP. */
  commercialLimiter?: WeiboRateLimiter
  /** The dead-letter list the dispatcher writes to: its replay queue is run here (see stream-replay.ts). */
  deadLetters?: StreamDeadLetterStore
  /** How often the replay queue is looked at. Default 2,000. */
  replayIntervalMs?: number
}

export interface PushStreamRunner {
  /** Connects (the app calls it once it is ready). */
  start: () => void
  /** Stops reading, waits for running handlers up to SHUTDOWN_TIMEOUT_MS, aborts the rest, saves the position. */
  close: () => Promise<void>
  /** The running client, after `start`. */
  readonly stream: PushStream | undefined
}

/**
 * `fetch` through the commercial budget. A connection waiting for the budget's refill still stops at once when the
 * stream closes (its signal aborts): the job left in the limiter's queue then fails on its own aborted signal.
 */
function budgetedFetch (limiter: WeiboRateLimiter): typeof fetch {
  return async (url, init) => {
    const signal = init?.signal ?? undefined
    const scheduled = limiter.schedule(async () => await fetch(url, init))
    if (signal === undefined || signal === null) return await scheduled
    scheduled.catch(() => {}) // once aborted, nobody awaits it
    signal.throwIfAborted()
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([scheduled, aborted])
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
    }
  }
}

/**
 * The dead-letter list of stream records where the storage lives: in this process (only it sees the list), or in
 * Redis, shared by the replicas and reached by `weibo-fanbot stream failed|retry`.
 */
export function setUpStreamDeadLetters (options: { config: Config, storage: Storage }): StreamDeadLetterStore {
  const { config } = options
  const bounds = {
    ...(config.pushStream === undefined ? {} : { max: config.pushStream.deadLetterMax, ttlMs: config.pushStream.deadLetterTtlMs })
  }
  return options.storage.choose({
    memory: () => createMemoryStreamDeadLetters(bounds),
    redis: (redis) => createRedisStreamDeadLetters({ redis, prefix: config.redisKeyPrefix, ...bounds })
  })
}

/**
 * The commercial push stream as the config asks for it (WEIBO_PUSH_SUBID set), or undefined. With REDIS_URL every
 * replica holds the stream: seen ids are claimed in Redis so each record is handled once, and the position is
 * shared (it only moves forward). Without Redis the position is kept in WEIBO_PUSH_SINCE_ID_FILE.
 */
export function setUpPushStream (options: PushStreamSetupOptions): PushStreamRunner | undefined {
  const { config, storage, logger, metrics } = options
  const settings = config.pushStream
  if (settings === undefined) return undefined
  const { dispatcher, commercialLimiter: limiter } = options
  let stream: PushStream | undefined
  let replay: StreamReplay | undefined
  const dedup = storage.choose({
    memory: () => createMemoryStreamDedup(),
    redis: (redis) => createRedisStreamDedup({
      redis,
      prefix: `${config.redisKeyPrefix}:`,
      // A copy claimed by a live replica waits at most for that replica's handler to time out.
      maxWaitMs: config.handlerTimeoutMs + 5000,
      logger,
      onError: () => { metrics.storeErrors.inc({ operation: 'stream-dedup' }) }
    })
  })
  return {
    get stream () { return stream },
    start () {
      if (stream !== undefined) return
      if (options.deadLetters !== undefined) {
        replay = startStreamReplay({
          deadLetters: options.deadLetters,
          dispatch: dispatcher.dispatch,
          logger,
          ...(options.replayIntervalMs === undefined ? {} : { intervalMs: options.replayIntervalMs }),
          onReplayed: () => { metrics.streamHandlerFailures.inc({ outcome: 'replayed' }) }
        })
      }
      stream = startPushStream({
        url: settings.url,
        subid: settings.subid,
        sinceIds: storage.choose({
          memory: () => createFileSinceIdStore({ path: settings.sinceIdFile, logger }),
          redis: (redis) => createRedisSinceIdStore({ redis, key: `${config.redisKeyPrefix}:stream:since-id:${settings.subid}`, logger })
        }),
        dedup,
        onRecord: dispatcher.dispatch,
        ...(limiter === undefined ? {} : { fetch: budgetedFetch(limiter) }),
        logger,
        maxInFlight: settings.concurrency,
        idleTimeoutMs: settings.idleTimeoutMs,
        reconnectMinMs: settings.reconnectMinMs,
        reconnectMaxMs: settings.reconnectMaxMs,
        connectsPerHour: settings.connectsPerHour,
        backlog: settings.backlog,
        backlogMaxAgeMs: settings.backlogMaxAgeMs,
        drainTimeoutMs: config.shutdownTimeoutMs,
        observer: {
          connected: () => { metrics.streamConnected.set(1) },
          closed: ({ reason }) => {
            metrics.streamConnected.set(0)
            metrics.streamConnections.inc({ reason })
          },
          record: (outcome) => { metrics.streamRecords.inc({ outcome }) }
        }
      })
    },
    async close () {
      await replay?.close()
      await stream?.close()
      dispatcher.abort() // anything still running after the drain gets its abort signal
      // Aborted runs end at once; a record waiting for its retry is dead-lettered now: let that write finish
      // (the app bounds the whole close by SHUTDOWN_TIMEOUT_MS).
      await dispatcher.idle()
      await dedup.close?.()
    }
  }
}

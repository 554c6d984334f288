import type { Redis } from 'ioredis'
import type { Config } from '../config.ts'
import type { DedupStore } from '../dedup/dedup-store.ts'
import { createMemoryDedupStore } from '../dedup/memory-dedup-store.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'

/**
 * Where the bot's shared state lives: this process's memory, or one Redis that every replica shares. Every store
 * (dedup, reply quotas, the push stream's position and seen ids, …) is chosen here, so they always live together.
 */
export interface Storage {
  kind: 'memory' | 'redis'
  /** The push dedup store. */
  dedup: DedupStore
  /** The command connection, on Redis (fail-fast options): every Redis store uses it. */
  redis?: Redis
  /** Builds a store where the storage lives: `memory()` in memory, `redis(connection)` on Redis. */
  choose: <T>(stores: { memory: () => T, redis: (redis: Redis) => T }) => T
  /** Closes what the storage opened (the connections); the stores' own timers are theirs to stop. */
  close: () => Promise<void>
}

/** Storage in this process's memory, around a given dedup store (tests and embedders pass their own). */
export function memoryStorage (dedup: DedupStore): Storage {
  return { kind: 'memory', dedup, choose: (stores) => stores.memory(), close: async () => { await dedup.close?.() } }
}

/**
 * The storage the config asks for: in memory by default; on Redis with REDIS_URL. Redis unreachable at start
 * is an error (WEIBO_ERR_STORE_UNAVAILABLE), unless REDIS_OPTIONAL=true, which starts this replica in memory.
 */
export async function openStorage (options: { config: Config, logger: Logger, metrics: Metrics }): Promise<Storage> {
  const { config, logger } = options
  const memory = (): Storage => memoryStorage(createMemoryDedupStore({ max: config.dedupMax, ttlMs: config.dedupTtlMs, replayTtlMs: config.dedupReplayTtlMs }))
  if (config.redisUrl === undefined) return memory()
  // ioredis is loaded only in scale-out mode: an in-memory server never needs it (idle RSS, bench/README.md).
  const { connectRedis, safeRedisUrl, SUBSCRIBER_OPTIONS } = await import('./redis-connection.ts')
  const { createRedisDedupStore } = await import('../dedup/redis-dedup-store.ts')
  const { redisTurn } = await import('../redis-turn.ts')
  try {
    const redis = await connectRedis({ url: config.redisUrl, logger, name: 'weibo-fanbot-dedup' })
    redisTurn(redis) // one socket write per event-loop turn, for every store's commands
    // If the second connection fails, the first must not stay behind reconnecting (and logging) forever.
    const subscriber = await connectRedis({ url: config.redisUrl, logger, name: 'weibo-fanbot-dedup-sub', options: SUBSCRIBER_OPTIONS })
      .catch((error: unknown) => { redis.disconnect(); throw error })
    const dedup = createRedisDedupStore({
      redis,
      subscriber,
      prefix: config.redisKeyPrefix,
      ttlMs: config.dedupTtlMs,
      replayTtlMs: config.dedupReplayTtlMs,
      pendingTtlMs: config.replyDeadlineMs + 1000,
      maxWaitMs: config.replyDeadlineMs,
      logger,
      onError: (operation) => { options.metrics.storeErrors.inc({ operation }) }
    })
    logger.info({ redis: safeRedisUrl(config.redisUrl), prefix: config.redisKeyPrefix }, 'dedup shared on Redis')
    return { kind: 'redis', dedup, redis, choose: (stores) => stores.redis(redis), close: dedup.close }
  } catch (error) {
    if (!config.redisOptional) throw error
    logger.warn({ err: error }, 'Redis unreachable at start and REDIS_OPTIONAL=true: this replica runs alone, in memory')
    return memory()
  }
}

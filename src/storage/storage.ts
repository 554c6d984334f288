import type { Redis } from 'ioredis'
import type { Config } from '../config.ts'
import type { DedupStore } from '../dedup/dedup-store.ts'
import { createMemoryDedupStore } from '../dedup/memory-dedup-store.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'

export interface StoreSetup {
  store: DedupStore
  /** Where dedup lives: `memory` (this process) or `redis` (shared by every replica). */
  kind: 'memory' | 'redis'
  /** The command connection, when on Redis: other shared state (reply quotas, the push stream) uses it too. */
  redis?: Redis
  close: () => Promise<void>
}

/**
 * The dedup store the config asks for: in memory by default; on Redis with REDIS_URL. Redis unreachable at start
 * is an error (WEIBO_ERR_STORE_UNAVAILABLE), unless REDIS_OPTIONAL=true, which starts this replica in memory.
 */
export async function setUpDedupStore (options: { config: Config, logger: Logger, metrics: Metrics }): Promise<StoreSetup> {
  const { config, logger } = options
  const memory = (): StoreSetup => {
    const store = createMemoryDedupStore({ max: config.dedupMax, ttlMs: config.dedupTtlMs, replayTtlMs: config.dedupReplayTtlMs })
    return { store, kind: 'memory', close: store.close }
  }
  if (config.redisUrl === undefined) return memory()
  // ioredis is loaded only in scale-out mode: an in-memory server never needs it (idle RSS, bench/README.md).
  const { connectRedis, safeRedisUrl } = await import('./redis-connection.ts')
  const { createRedisDedupStore } = await import('../dedup/redis-dedup-store.ts')
  try {
    const redis = await connectRedis({ url: config.redisUrl, logger, name: 'weibo-fanbot-dedup' })
    const subscriber = await connectRedis({ url: config.redisUrl, logger, name: 'weibo-fanbot-dedup-sub' })
    const store = createRedisDedupStore({
      redis,
      subscriber,
      prefix: config.redisKeyPrefix,
      ttlMs: config.dedupTtlMs,
      pendingTtlMs: config.replyDeadlineMs + 1000,
      maxWaitMs: config.replyDeadlineMs,
      logger,
      onError: (operation) => { options.metrics.storeErrors.inc({ operation }) }
    })
    logger.info({ redis: safeRedisUrl(config.redisUrl), prefix: config.redisKeyPrefix }, 'dedup shared on Redis')
    return { store, kind: 'redis', redis, close: store.close }
  } catch (error) {
    if (!config.redisOptional) throw error
    logger.warn({ err: error }, 'Redis unreachable at start and REDIS_OPTIONAL=true: this replica runs alone, in memory')
    return memory()
  }
}

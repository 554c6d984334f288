import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Storage } from '../storage/storage.ts'
import { createMemoryQuotaStore } from './memory-quota-store.ts'
import { createReplyQuota, type ReplyQuota } from './reply-quota.ts'

export interface SetUpReplyQuotaOptions {
  config: Config
  /** Quotas live where the rest of the state lives (Redis, shared by every replica, or this process). */
  storage: Storage
  logger: Logger
  metrics: Metrics
  now?: () => number
}

/** The reply tracker the config asks for, or undefined with REPLY_QUOTA_ENFORCE=false (Weibo alone judges replies). */
export async function setUpReplyQuota (options: SetUpReplyQuotaOptions): Promise<ReplyQuota | undefined> {
  const { config, storage, metrics } = options
  if (!config.replyQuota.enforce) return undefined
  const now = options.now ?? Date.now
  const limits = {
    windowMs: config.replyQuota.windowMs,
    repliesPerWindow: config.replyQuota.repliesPerWindow,
    repliesPerMention: config.replyQuota.repliesPerMention
  }
  const store = await storage.choose({
    memory: async () => createMemoryQuotaStore({ limits, maxFans: config.replyQuota.maxFans, now }),
    // Imported only on Redis: its script batch loads ioredis, which an in-memory server never needs (idle RSS and
    // cold start, issue 13 goal 4; test/idle-modules.test.ts).
    redis: async (redis) => {
      const { createRedisQuotaStore } = await import('./redis-quota-store.ts')
      return createRedisQuotaStore({ redis, prefix: config.redisKeyPrefix, limits, now })
    }
  })
  return createReplyQuota({
    store,
    limits,
    now,
    logger: options.logger,
    onRefused: (reason) => { metrics.repliesRefused.inc({ reason }) },
    onError: (operation) => { metrics.storeErrors.inc({ operation: `quota-${operation}` }) }
  })
}

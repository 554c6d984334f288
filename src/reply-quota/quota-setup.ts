import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Storage } from '../storage/storage.ts'
import { createMemoryQuotaStore } from './memory-quota-store.ts'
import { createRedisQuotaStore } from './redis-quota-store.ts'
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
export function setUpReplyQuota (options: SetUpReplyQuotaOptions): ReplyQuota | undefined {
  const { config, storage, metrics } = options
  if (!config.replyQuota.enforce) return undefined
  const now = options.now ?? Date.now
  const limits = {
    windowMs: config.replyQuota.windowMs,
    repliesPerWindow: config.replyQuota.repliesPerWindow,
    repliesPerMention: config.replyQuota.repliesPerMention
  }
  const store = storage.choose({
    memory: () => createMemoryQuotaStore({ limits, maxFans: config.replyQuota.maxFans, now }),
    redis: (redis) => createRedisQuotaStore({ redis, prefix: config.redisKeyPrefix, limits, now })
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

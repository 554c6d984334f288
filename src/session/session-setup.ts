import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { StoreSetup } from '../storage/storage.ts'
import type { FanQueue } from './fan-queue.ts'
import { createMemoryFanQueue } from './memory-fan-queue.ts'
import { createMemorySessionStore } from './memory-session-store.ts'
import { createRedisFanQueue } from './redis-fan-queue.ts'
import { createRedisSessionStore } from './redis-session-store.ts'
import type { SessionStore } from './session-store.ts'

export interface SessionSetup {
  sessions: SessionStore
  queue: FanQueue
  close: () => Promise<void>
}

/** Sessions and fan turns where dedup lives: in this process, or on the StoreSetup's Redis (shared by replicas). */
export function setUpSessions (options: { config: Config, storeSetup: StoreSetup, logger: Logger }): SessionSetup {
  const { config, storeSetup } = options
  if (storeSetup.redis === undefined) {
    const queue = createMemoryFanQueue()
    return {
      sessions: createMemorySessionStore({ max: config.sessionMax, ttlMs: config.sessionTtlMs }),
      queue,
      close: queue.close
    }
  }
  const queue = createRedisFanQueue({ redis: storeSetup.redis, prefix: config.redisKeyPrefix, leaseMs: config.fanQueueLeaseMs, logger: options.logger })
  return {
    sessions: createRedisSessionStore({ redis: storeSetup.redis, prefix: config.redisKeyPrefix, ttlMs: config.sessionTtlMs }),
    queue,
    close: queue.close
  }
}

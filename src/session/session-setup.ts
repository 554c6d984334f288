import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { Storage } from '../storage/storage.ts'
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

/** Sessions and fan turns where the rest of the state lives: in this process, or on the shared Redis. */
export function setUpSessions (options: { config: Config, storage: Storage, logger: Logger }): SessionSetup {
  const { config, storage } = options
  return storage.choose<SessionSetup>({
    memory: () => {
      const queue = createMemoryFanQueue()
      return { sessions: createMemorySessionStore({ max: config.sessionMax, ttlMs: config.sessionTtlMs }), queue, close: queue.close }
    },
    redis: (redis) => {
      const queue = createRedisFanQueue({ redis, prefix: config.redisKeyPrefix, leaseMs: config.fanQueueLeaseMs, logger: options.logger })
      return { sessions: createRedisSessionStore({ redis, prefix: config.redisKeyPrefix, ttlMs: config.sessionTtlMs }), queue, close: queue.close }
    }
  })
}

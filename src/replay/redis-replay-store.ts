import type { Redis } from 'ioredis'
import type { Logger } from '../logger.ts'
import type { SightingWrite } from '../dedup/deferred-sighting.ts'
import type { ReplayStore } from './replay-store.ts'

export interface RedisReplayStoreOptions {
  redis: Redis
  prefix: string
  ttlMs: number
  logger: Logger
  /** Told of every Redis failure, for a metric. */
  onError?: () => void
}

/**
 * The replay memory shared by every replica: one command per push. `SET key digest PX ttl NX GET` stores the body
 * digest if the query is new and returns the digest stored before otherwise (Redis 7). A push that is claimed has
 * it done by the dedup claim, in the same round trip (`defer`). If Redis fails, the push goes through (it is signed
 * and fresh; refusing it would lose a real message), with a warning and a metric.
 */
export function createRedisReplayStore (options: RedisReplayStoreOptions): ReplayStore {
  const { redis, logger } = options
  function failed (error: unknown): void {
    options.onError?.()
    logger.warn({ store: { operation: 'replay', error: error instanceof Error ? error.message : String(error) } },
      'replay store unavailable: the signed push goes through unchecked')
  }
  function write (signature: string, bodyDigest: string): SightingWrite {
    // The key: the signature's 20 bytes as 27 characters; the value: the body digest's first 132 bits as 22. The
    // same strings as every earlier version wrote, so replicas of two versions agree during a rolling deploy.
    const queryKey = Buffer.from(signature, 'hex').toString('base64url')
    const value = Buffer.from(bodyDigest, 'hex').toString('base64url').slice(0, 22)
    return { key: `${options.prefix}:replay:${queryKey}`, value, ttlMs: options.ttlMs, failed }
  }
  return {
    async sight (signature, bodyDigest) {
      const { key, value } = write(signature, bodyDigest)
      try {
        const before = await redis.call('SET', key, value, 'PX', options.ttlMs, 'NX', 'GET')
        if (before === null) return 'first'
        return before === value ? 'same' : 'different'
      } catch (error) {
        failed(error)
        return 'first'
      }
    },
    defer: write
  }
}

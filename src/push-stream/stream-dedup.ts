import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'
import type { Logger } from '../logger.ts'

/**
 * Remembers which records (by data id) were already taken, so a replay after a reconnect or restart, or the same
 * record seen by two replicas, reaches the consumer once.
 */
export interface StreamDedup {
  /** True the first time an id is claimed; false for a duplicate. */
  claim: (id: string) => Promise<boolean>
}

const HOUR_MS = 60 * 60 * 1000

export interface MemoryStreamDedupOptions {
  /** Ids remembered at most (least recently seen go first). Default 50,000. */
  max?: number
  /** How long an id is remembered. Default 1 hour. */
  ttlMs?: number
  /** Clock for the TTL, injectable in tests (lru-cache's `perf`). */
  perf?: { now: () => number }
}

/** Dedup for one process, bounded by `max` and `ttl`. */
export function createMemoryStreamDedup (options: MemoryStreamDedupOptions = {}): StreamDedup {
  const seen = new LRUCache<string, true>({
    max: options.max ?? 50_000,
    ttl: options.ttlMs ?? HOUR_MS,
    // lru-cache reuses a clock reading for `ttlResolution` ms of real time; an injected clock must be read every time.
    ...(options.perf === undefined ? {} : { perf: options.perf, ttlResolution: 0 })
  })
  return {
    async claim (id) {
      if (seen.has(id)) return false
      seen.set(id, true)
      return true
    }
  }
}

export interface RedisStreamDedupOptions {
  /** The caller's connection (fail-fast options advised: see redis-connection.ts); never closed here. */
  redis: Redis
  /** Key prefix, used as is: the key is `${prefix}stream:seen:${id}` (end it with `:`). */
  prefix: string
  /** How long an id is remembered. Default 1 hour. */
  ttlMs?: number
  logger: Logger
  /** Told of every Redis failure, for a metric. */
  onError?: () => void
}

/**
 * Dedup shared by every replica: SET NX PX claims an id atomically. If Redis fails, the record is taken as new
 * (at-least-once beats none) and a warning logged.
 */
export function createRedisStreamDedup (options: RedisStreamDedupOptions): StreamDedup {
  const ttlMs = options.ttlMs ?? HOUR_MS
  return {
    async claim (id) {
      try {
        return await options.redis.set(`${options.prefix}stream:seen:${id}`, '1', 'PX', ttlMs, 'NX') === 'OK'
      } catch (error) {
        options.onError?.()
        options.logger.warn({ err: error, pushStream: { id } }, 'stream dedup unavailable: handling the record as new (it may be handled twice)')
        return true
      }
    }
  }
}

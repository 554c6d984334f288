import { Redis, type RedisOptions } from 'ioredis'
import { FanbotError } from '../errors.ts'
import type { Logger } from '../logger.ts'

/**
 * Options for the connection our own commands use (dedup claims, answers, pub/sub): fail fast while Redis is down
 * (no offline queue, one try, a short timeout) so a push is never held past Weibo's window waiting for a store,
 * and reconnect in the background with a capped backoff.
 */
export const FAST_FAIL_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 500,
  connectTimeout: 2000,
  retryStrategy: (times) => Math.min(100 * 2 ** times, 2000)
}

export interface ConnectRedisOptions {
  url: string
  logger: Logger
  /** Shown in Redis's CLIENT LIST and our logs. */
  name: string
  options?: RedisOptions
}

/** Connects, or throws `WEIBO_ERR_STORE_UNAVAILABLE` saying where it tried (the URL's password is never shown). */
export async function connectRedis (input: ConnectRedisOptions): Promise<Redis> {
  const redis = new Redis(input.url, { ...FAST_FAIL_OPTIONS, connectionName: input.name, ...input.options })
  let lastError: unknown
  redis.on('error', (error: unknown) => { lastError = error })
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    throw new FanbotError('WEIBO_ERR_STORE_UNAVAILABLE', { detail: `${safeRedisUrl(input.url)}: ${String((error as Error).message ?? lastError)}`, cause: error })
  }
  let down = false
  redis.on('error', (error: Error) => {
    if (!down) input.logger.warn({ redis: { name: input.name, error: error.message } }, 'Redis connection lost; pushes are still answered, retrying in the background')
    down = true
  })
  redis.on('ready', () => {
    if (down) input.logger.info({ redis: { name: input.name } }, 'Redis connection back')
    down = false
  })
  return redis
}

/** The URL without its password, for messages and logs. */
export function safeRedisUrl (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.href
  } catch {
    return '<invalid url>'
  }
}

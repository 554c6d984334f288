import { Redis } from 'ioredis'
import { FanbotError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { FAST_FAIL_OPTIONS, safeRedisUrl } from '../storage/redis-connection.ts'

/**
 * The connection the outbox queues on, for a server. It connects in the background and never fails the start:
 * while it is not ready, the sender sends late replies directly instead (see outbox-sender.ts), so the fail-fast
 * options matter more than waiting. Going down and coming back are logged once each, not per retry.
 */
export function openOutboxConnection (options: { url: string, logger: Logger, name: string }): Redis {
  const redis = new Redis(options.url, { ...FAST_FAIL_OPTIONS, lazyConnect: false, connectionName: options.name })
  const facts = { redis: safeRedisUrl(options.url), connection: options.name }
  let down = false
  let lastError: string | undefined
  redis.on('error', (error: Error) => { lastError = error.message })
  // 'reconnecting', not 'error': a server that dies closes the socket without an error, and quit() never reconnects.
  redis.on('reconnecting', () => {
    if (!down) {
      options.logger.warn({ outbox: { ...facts, error: lastError } },
        'outbox: Redis unreachable; late replies are sent directly (not durable) until it is back')
    }
    down = true
  })
  redis.on('ready', () => {
    if (down) options.logger.info({ outbox: facts }, 'outbox: Redis back; late replies are queued again')
    down = false
  })
  return redis
}

/**
 * One connection attempt for a command-line tool: no background retries, so an unreachable Redis is one
 * WEIBO_ERR_OUTBOX_UNAVAILABLE error (naming the URL without its password) instead of a hang.
 */
export async function connectOutboxRedis (options: { url: string, name: string }): Promise<Redis> {
  const redis = new Redis(options.url, { ...FAST_FAIL_OPTIONS, retryStrategy: () => null, connectionName: options.name })
  // ioredis rejects connect() with "Connection is closed"; the error event says why (ECONNREFUSED, ENOTFOUND…).
  let lastError: Error | undefined
  redis.on('error', (error: Error) => { lastError = error })
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    const reason = lastError?.message ?? (error instanceof Error ? error.message : String(error))
    throw new FanbotError('WEIBO_ERR_OUTBOX_UNAVAILABLE', { detail: `${safeRedisUrl(options.url)}: ${reason}`, cause: lastError ?? error })
  }
  return redis
}

import { Redis, type RedisOptions } from 'ioredis'
import { FanbotError, type ErrorCode } from '../errors.ts'
import type { Logger } from '../logger.ts'

/**
 * Options for the connection our own commands use (dedup claims, answers, pub/sub, the outbox's enqueue): fail fast
 * while Redis is down (no offline queue, one try, a short timeout) so a push is never held past Weibo's window
 * waiting for a store, and reconnect in the background with a capped backoff.
 */
export const FAST_FAIL_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 500,
  connectTimeout: 2000,
  retryStrategy: (times) => Math.min(100 * 2 ** times, 2000)
}

/**
 * Options for a connection used only for SUBSCRIBE (the dedup store's): fail-fast, and no automatic re-subscribe
 * after a reconnect. ioredis sends that SUBSCRIBE itself and leaves its promise unhandled, so a Redis that comes back
 * too slowly to answer it within the command timeout (a loaded Redis) was an unhandled rejection, which ends the
 * process. The store subscribes again itself, on every `ready`, and handles the failure.
 */
export const SUBSCRIBER_OPTIONS: RedisOptions = { ...FAST_FAIL_OPTIONS, autoResubscribe: false }

/**
 * Options for a connection whose writes must land even across an outage (the outbox's delivery records): commands
 * wait in the offline queue while Redis reconnects and are sent again after it, with no command timeout. Its
 * callers bound the wait themselves (shutdown does).
 */
export const PATIENT_OPTIONS: RedisOptions = {
  lazyConnect: false,
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  connectTimeout: 2000,
  retryStrategy: (times) => Math.min(100 * 2 ** times, 2000)
}

/** What the server logs when a connection goes down and when it is back (once each, not per retry). */
export interface OutageMessages {
  down: string
  back: string
}

const DEFAULT_MESSAGES: OutageMessages = {
  down: 'Redis connection lost; pushes are still answered, retrying in the background',
  back: 'Redis connection back'
}

export interface OpenRedisOptions {
  url: string
  logger: Logger
  /** Shown in Redis's CLIENT LIST and our logs. */
  name: string
  /** The whole set of options (not merged with FAST_FAIL_OPTIONS); defaults to FAST_FAIL_OPTIONS. */
  options?: RedisOptions
  messages?: OutageMessages
}

/**
 * Logs a connection's outages once each way. 'reconnecting', not 'error', marks it down: a server that dies closes
 * the socket without an error; the last error (if any) says why.
 */
function watchOutages (redis: Redis, input: OpenRedisOptions): void {
  const messages = input.messages ?? DEFAULT_MESSAGES
  const facts = { name: input.name, url: safeRedisUrl(input.url) }
  let down = false
  let lastError: string | undefined
  redis.on('error', (error: Error) => { lastError = error.message })
  redis.on('reconnecting', () => {
    if (!down) input.logger.warn({ redis: { ...facts, error: lastError } }, messages.down)
    down = true
  })
  redis.on('ready', () => {
    if (down) input.logger.info({ redis: facts }, messages.back)
    down = false
  })
}

/**
 * Server style, without waiting: the connection comes up (and comes back) in the background, and its outages are
 * logged once each way. For parts that must never fail the start (the outbox).
 */
export function openRedis (input: OpenRedisOptions): Redis {
  const redis = new Redis(input.url, { ...(input.options ?? FAST_FAIL_OPTIONS), connectionName: input.name, lazyConnect: false })
  watchOutages(redis, input)
  return redis
}

/**
 * Server style, waiting for the first connection: throws `WEIBO_ERR_STORE_UNAVAILABLE` saying where it tried (the
 * URL's password is never shown); once up, it reconnects in the background and logs outages once each way.
 */
export async function connectRedis (input: OpenRedisOptions): Promise<Redis> {
  const redis = await connectOnce({ ...input, code: 'WEIBO_ERR_STORE_UNAVAILABLE', options: input.options ?? FAST_FAIL_OPTIONS })
  watchOutages(redis, input)
  return redis
}

/**
 * Command-line style: one connection attempt and no background retries, so an unreachable Redis is one coded
 * error (naming the URL without its password) instead of a hang.
 */
export async function connectRedisOnce (input: { url: string, name: string, code: ErrorCode }): Promise<Redis> {
  return await connectOnce({ ...input, options: { ...FAST_FAIL_OPTIONS, retryStrategy: () => null } })
}

async function connectOnce (input: { url: string, name: string, code: ErrorCode, options: RedisOptions }): Promise<Redis> {
  const redis = new Redis(input.url, { ...input.options, connectionName: input.name, lazyConnect: true })
  // ioredis rejects connect() with "Connection is closed"; the error event says why (ECONNREFUSED, ENOTFOUND…).
  let lastError: Error | undefined
  const remember = (error: Error): void => { lastError = error }
  redis.on('error', remember)
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    const reason = lastError?.message ?? (error instanceof Error ? error.message : String(error))
    throw new FanbotError(input.code, { detail: `${safeRedisUrl(input.url)}: ${reason}`, cause: lastError ?? error })
  }
  redis.off('error', remember)
  // Without a listener an 'error' event would crash the process; the outage watcher (server style) logs them.
  redis.on('error', () => {})
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

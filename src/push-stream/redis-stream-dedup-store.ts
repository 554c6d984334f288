import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import type { Logger } from '../logger.ts'
import { STREAM_DEDUP_TTL_MS, type StreamDedup } from './stream-dedup-store.ts'

export interface RedisStreamDedupOptions {
  /** The caller's connection (fail-fast options advised: see redis-connection.ts); never closed here. */
  redis: Redis
  /** Key prefix, used as is: keys are `${prefix}stream:seen:${id}` and `${prefix}stream:alive:${process}` (end it with `:`). */
  prefix: string
  /** How long an id is remembered once handled. Default 1 hour. */
  ttlMs?: number
  /** This process says it is alive this often (Redis key TTL three times that). Default 2,000. */
  heartbeatMs?: number
  /** Longest wait for another live replica to finish a record it claimed. Default 60,000 (HANDLER_TIMEOUT_MS). */
  maxWaitMs?: number
  logger: Logger
  /** Told of every Redis failure, for a metric. */
  onError?: () => void
}

const HANDLED = 'D'
const CLAIMED = 'P:'

// Takes a claim over only if it still names the process found dead (another replica may have taken it already).
const TAKE_OVER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`

/**
 * Dedup shared by every replica, at least once: a record is claimed by a process (`P:<process id>`), then marked
 * handled (`D`) when its handler is done. A copy seen meanwhile waits: for `D` (a duplicate), or for the claiming
 * process to stop saying it is alive (it crashed mid-handler), in which case this one takes the record over.
 * So a crash never loses a record, not even when the same replica restarts and gets the replay. If Redis fails,
 * the record is taken as new (at-least-once beats none) and a warning logged.
 */
export function createRedisStreamDedup (options: RedisStreamDedupOptions): StreamDedup {
  const { redis, logger } = options
  const ttlMs = options.ttlMs ?? STREAM_DEDUP_TTL_MS
  const heartbeatMs = options.heartbeatMs ?? 2000
  const maxWaitMs = options.maxWaitMs ?? 60_000
  const self = randomBytes(8).toString('hex')
  const mine = `${CLAIMED}${self}`
  const seenKey = (id: string): string => `${options.prefix}stream:seen:${id}`
  const aliveKey = (process: string): string => `${options.prefix}stream:alive:${process}`
  let heartbeat: NodeJS.Timeout | undefined
  let closed = false

  async function sayAlive (): Promise<void> {
    await redis.set(aliveKey(self), '1', 'PX', heartbeatMs * 3)
  }

  async function startHeartbeat (): Promise<void> {
    if (heartbeat !== undefined || closed) return
    await sayAlive()
    heartbeat = setInterval(() => {
      sayAlive().catch((error: unknown) => { logger.warn({ err: error }, 'stream dedup heartbeat failed') })
    }, heartbeatMs)
    heartbeat.unref()
  }

  function fail (error: unknown, id: string): true {
    options.onError?.()
    logger.warn({ err: error, pushStream: { id } }, 'stream dedup unavailable: handling the record as new (it may be handled twice)')
    return true
  }

  async function claimOnce (id: string): Promise<boolean | 'wait'> {
    const key = seenKey(id)
    if (await redis.set(key, mine, 'PX', ttlMs, 'NX') === 'OK') return true
    const value = await redis.get(key)
    if (value === null) return 'wait' // expired between the two commands: try again at once
    if (value === HANDLED || value === mine) return false
    const owner = value.startsWith(CLAIMED) ? value.slice(CLAIMED.length) : ''
    if (await redis.exists(aliveKey(owner)) === 1) return 'wait'
    logger.warn({ pushStream: { id, claimedBy: owner } }, 'push stream record claimed by a process that stopped; taking it over')
    return await redis.eval(TAKE_OVER, 1, key, value, mine, String(ttlMs)) === 1 ? true : 'wait'
  }

  return {
    async claim (id) {
      try {
        await startHeartbeat()
        const started = Date.now()
        for (;;) {
          const claimed = await claimOnce(id)
          if (claimed !== 'wait') return claimed
          // Another live replica has it in hand: its handler's end (or its death) settles this copy.
          if (Date.now() - started > maxWaitMs || closed) return false
          await sleep(Math.min(200, heartbeatMs))
        }
      } catch (error) {
        return fail(error, id)
      }
    },
    settle (id) {
      redis.set(seenKey(id), HANDLED, 'PX', ttlMs).catch((error: unknown) => {
        options.onError?.()
        logger.warn({ err: error, pushStream: { id } }, 'stream dedup could not mark a record handled; a replay after a crash may handle it again')
      })
    },
    async close () {
      closed = true
      clearInterval(heartbeat)
      await redis.del(aliveKey(self)).catch(() => {})
    }
  }
}

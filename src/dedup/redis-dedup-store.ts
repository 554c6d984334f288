import type { Redis } from 'ioredis'
import { ownerClaim, type Answer, type Claim, type DedupStore } from './dedup-store.ts'
import type { Logger } from '../logger.ts'

/** Stored values: `P` while the first copy runs, `A<body>` once answered (`A` alone: a blank answer). */
const PENDING = 'P'
const ANSWERED = 'A'

export interface RedisDedupStoreOptions {
  /** Connection for commands (fail-fast options: see redis-connection.ts). */
  redis: Redis
  /** A second connection, used only for SUBSCRIBE. */
  subscriber: Redis
  prefix: string
  /** How long an answer is remembered (DEDUP_TTL_MS). */
  ttlMs: number
  /**
   * How long a claim stays "in flight" without an answer. The owner always answers by its reply deadline; if it
   * died instead, the claim lapses after this and a later retry is handled afresh rather than answered blank forever.
   */
  pendingTtlMs: number
  /** A joiner stops waiting after this (the dispatcher's own deadline normally ends the wait first). */
  maxWaitMs: number
  /** Polling beside pub/sub, in case a message is missed across a reconnect. */
  pollMs?: number
  logger: Logger
  /** Told of every Redis failure, for a metric. The push is still handled: at-least-once beats none. */
  onError?: (operation: 'claim' | 'settle' | 'wait') => void
}

export interface RedisDedupStore extends DedupStore {
  close: () => Promise<void>
}

/**
 * The dedup store shared by every replica. The first replica to see a push claims it atomically (SET NX PX); a
 * retry on any replica joins it: it waits for the answer the owner stores and announces on a channel (with a poll
 * as a safety net), and replays it. If Redis fails, the push is handled here as new, with a warning.
 */
export function createRedisDedupStore (options: RedisDedupStoreOptions): RedisDedupStore {
  const { redis, subscriber, logger } = options
  const channel = `${options.prefix}:dedup-answers`
  const waiters = new Map<string, Set<(answer: Answer) => void>>()
  const keyOf = (key: string): string => `${options.prefix}:dedup:${key}`

  function fail (operation: 'claim' | 'settle' | 'wait', error: unknown, key: string): void {
    options.onError?.(operation)
    logger.warn({ store: { operation, key, error: error instanceof Error ? error.message : String(error) } },
      operation === 'claim' ? 'dedup store unavailable: handling the push as new (a Weibo retry may run the handler again)' : `dedup store ${operation} failed`)
  }

  function wake (redisKey: string, answer: Answer): void {
    const list = waiters.get(redisKey)
    if (list === undefined) return
    waiters.delete(redisKey)
    for (const resolve of list) resolve(answer)
  }

  async function readAnswer (redisKey: string): Promise<Answer | undefined> {
    const value = await redis.get(redisKey)
    return value?.startsWith(ANSWERED) === true ? value.slice(1) : undefined
  }

  subscriber.on('message', (_channel: string, redisKey: string) => {
    if (!waiters.has(redisKey)) return
    readAnswer(redisKey).then((answer) => { if (answer !== undefined) wake(redisKey, answer) }, (error: unknown) => { fail('wait', error, redisKey) })
  })
  const subscribed = subscriber.subscribe(channel).catch((error: unknown) => { fail('wait', error, channel) })

  async function waitForAnswer (redisKey: string): Promise<Answer> {
    await subscribed
    return await new Promise<Answer>((resolve) => {
      const started = Date.now()
      let timer: NodeJS.Timeout | undefined
      const done = (answer: Answer): void => {
        clearTimeout(timer)
        resolve(answer)
      }
      const list = waiters.get(redisKey) ?? new Set()
      list.add(done)
      waiters.set(redisKey, list)
      const poll = (): void => {
        if (!waiters.get(redisKey)?.has(done)) return
        if (Date.now() - started > options.maxWaitMs) {
          waiters.get(redisKey)?.delete(done)
          done('')
          return
        }
        readAnswer(redisKey).then((answer) => {
          if (answer !== undefined) wake(redisKey, answer)
          else timer = setTimeout(poll, options.pollMs ?? 100)
        }, () => { timer = setTimeout(poll, options.pollMs ?? 100) })
      }
      poll()
    })
  }

  function owner (redisKey: string): Claim {
    return ownerClaim((answer) => {
      wake(redisKey, answer) // joiners in this process need no round trip
      redis.multi().set(redisKey, ANSWERED + answer, 'PX', options.ttlMs).publish(channel, redisKey).exec()
        .catch((error: unknown) => { fail('settle', error, redisKey) })
    })
  }

  return {
    // Counted by Redis, not here: the in-process figure would be misleading across replicas.
    size: 0,
    async claim (key) {
      const redisKey = keyOf(key)
      try {
        for (let attempt = 0; attempt < 2; attempt++) {
          if (await redis.set(redisKey, PENDING, 'PX', options.pendingTtlMs, 'NX') === 'OK') return owner(redisKey)
          const value = await redis.get(redisKey)
          if (value === null) continue // expired between the two commands: try to claim again
          if (value.startsWith(ANSWERED)) return { role: 'joiner', answer: Promise.resolve(value.slice(1)), settled: true }
          return { role: 'joiner', answer: waitForAnswer(redisKey), settled: false }
        }
        return owner(redisKey)
      } catch (error) {
        fail('claim', error, key)
        return { role: 'owner', settle: () => {} }
      }
    },
    async ping () {
      await redis.ping()
    },
    async close () {
      for (const redisKey of [...waiters.keys()]) wake(redisKey, '')
      // quit() on a connection that is down waits for it to come back: disconnect it instead.
      for (const connection of [subscriber, redis]) {
        if (connection.status === 'ready') await connection.quit().catch(() => { connection.disconnect() })
        else connection.disconnect()
      }
    }
  }
}

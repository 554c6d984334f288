import type { Redis } from 'ioredis'
import { stateExpiresAt, type FanState, type ReplyLimits } from './fan-quota.ts'
import type { QuotaChange, QuotaStore } from './quota-store.ts'
import { createScriptBatch } from '../redis-script-batch.ts'

/**
 * Compare-and-set: writes the new state only if the key still holds what the caller expected ('' = absent), and
 * answers `[1]`; otherwise answers `[0, current]` ('' = absent), so that the caller can try again without a GET.
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return {0, current} end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return {1}`

/**
 * A new fan's record: `SET NX GET`, so a fan known already answers its state. One item of a batch
 * (redis-script-batch.ts): with the dedup claims and settles, a push's commands are one per kind and turn, not one per
 * push. Keys: the fan's key. Arguments: the state, its lifetime (ms).
 */
const RECORD_NEW_ITEM = "return redis.call('SET', KEYS[k + 1], ARGV[a + 1], 'PX', ARGV[a + 2], 'NX', 'GET')"

/** Tries before giving up on a fan whose state keeps changing under us (one round trip each). */
const MAX_TRIES = 20

export interface RedisQuotaStoreOptions {
  redis: Redis
  prefix: string
  limits: ReplyLimits
  now: () => number
}

function parseState (value: string | null): FanState | undefined {
  if (value === null) return undefined
  try {
    return JSON.parse(value) as FanState
  } catch {
    return undefined // unreadable: start the fan afresh rather than fail every reply to them
  }
}

/**
 * Fan states shared by every replica: one JSON value per fan, changed by optimistic compare-and-set (apply the
 * same pure rules as in memory to the state expected, write if Redis still holds it, else try again with the state
 * the script answered). Each key expires when nothing in it matters any more, so Redis holds only fans active within
 * the window.
 */
export function createRedisQuotaStore (options: RedisQuotaStoreOptions): QuotaStore {
  const { redis, limits, now } = options
  const keyOf = (fanId: string): string => `${options.prefix}:quota:${fanId}`
  let since: number | undefined
  const newFans = createScriptBatch(redis, { name: 'fanbotQuotaNewFans', keysPerItem: 1, argsPerItem: 2, item: RECORD_NEW_ITEM })
  // SET with NX and GET needs Redis 7.0; an older server answers "syntax error", and the compare-and-set script
  // does the same job from then on.
  let setNxGet = true

  /** Writes `next` ('' = delete) if the key holds `expected` ('' = absent): undefined; else what it holds. */
  function compareAndSet (key: string, expected: string, next: string, ttlMs: number): Promise<string | undefined> {
    if (setNxGet && expected === '' && next !== '') {
      // Expecting no key, the compare-and-set is SET NX, and GET makes it answer what is there when it refuses
      // (Redis 7): no compare-and-set script for Redis to run (5.6 -> 2.2 us of Redis's time in the bench).
      return newFans.run([key], [next, ttlMs]).then((held) => held as string | null ?? undefined, async (error: unknown) => {
        if (!(error instanceof Error && /syntax error/i.test(error.message))) throw error
        setNxGet = false
        return await compareAndSetByScript(key, expected, next, ttlMs)
      })
    }
    return compareAndSetByScript(key, expected, next, ttlMs)
  }

  async function compareAndSetByScript (key: string, expected: string, next: string, ttlMs: number): Promise<string | undefined> {
    const answer = await redis.eval(COMPARE_AND_SET, 1, key, expected, next, String(ttlMs)) as [number, string?]
    return answer[0] === 1 ? undefined : answer[1] ?? ''
  }

  /**
   * The tries after the first (`update`), each from a state Redis answered (`from`, '' = none): applies `change` to
   * it and writes the result if Redis still holds that state; else again with what Redis answers, up to MAX_TRIES.
   */
  async function updateFrom<T> (key: string, fanId: string, change: QuotaChange<T>, from: string): Promise<T> {
    let current = from
    for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
      const { state, result } = change(parseState(current === '' ? null : current))
      if (state === undefined) return result // nothing to write, and the state was read: its answer stands
      const held = await write(key, current, state)
      if (held === undefined) return result
      current = held
    }
    throw new Error(`fan ${fanId}: reply state changed ${MAX_TRIES} times while being updated`)
  }

  function write (key: string, expected: string, state: FanState): Promise<string | undefined> {
    const ttl = stateExpiresAt(state, limits) - now()
    return compareAndSet(key, expected, ttl > 0 ? JSON.stringify(state) : '', Math.max(1, Math.ceil(ttl)))
  }

  return {
    kind: 'redis',
    size: 0,
    update (fanId, change) {
      const key = keyOf(fanId)
      // The first try expects the fan unknown, without reading: one round trip for a new fan (the usual push in a
      // busy account: most fans who write are not in the window), two for a known one (Redis answers what it
      // holds, and the second try expects that), as many as a GET and a compare-and-set took before. A result is
      // returned only from a state that was read or that the compare-and-set proved current. The first try is a
      // promise chain, not an async function: it runs for every push (bench/README.md, fourteenth session).
      try {
        const first = change(undefined)
        // Nothing to write: the answer must come from the real state.
        if (first.state === undefined) return redis.get(key).then((held) => updateFrom(key, fanId, change, held ?? ''))
        return write(key, '', first.state).then((held) => held === undefined ? first.result : updateFrom(key, fanId, change, held))
      } catch (error) {
        return Promise.reject(error) // a promise either way, as from an async function
      }
    },
    async trackingSince () {
      if (since !== undefined) return since
      const key = `${options.prefix}:quota-since`
      await redis.set(key, String(now()), 'NX')
      since = Number(await redis.get(key) ?? now())
      return since
    }
  }
}

import type { Redis } from 'ioredis'
import { DEAD_LETTER_MAX, DEAD_LETTER_TTL_MS, type StreamDeadLetter, type StreamDeadLetterStore } from './stream-dead-letter-store.ts'

export interface RedisStreamDeadLetterOptions {
  /** The caller's connection; never closed here. */
  redis: Redis
  /** REDIS_KEY_PREFIX: keys are `${prefix}:stream:dead` (hash), `…:dead:at` (sorted set), `…:replay` (list). */
  prefix: string
  /** Entries kept at most (the oldest go first). Default 1,000. */
  max?: number
  /** How long an entry is kept (every key expires this long after its last write, too). Default 7 days. */
  ttlMs?: number
}

// Entries older than the TTL go first; KEYS[1] the hash of entries by id, KEYS[2] their failure times. ARGV[1] the
// TTL, ARGV[2] now. Shared by every script below, so that no command sees an expired entry.
const PRUNE = `
local cutoff = tonumber(ARGV[2]) - tonumber(ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. cutoff)
for _, id in ipairs(expired) do redis.call('HDEL', KEYS[1], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. cutoff)
`

// ARGV[3] id, ARGV[4] the entry's JSON, ARGV[5] its failure time, ARGV[6] the maximum.
const ADD = `${PRUNE}
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[6])
if over > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  for _, id in ipairs(oldest) do redis.call('HDEL', KEYS[1], id) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`

// ARGV[3] how many: the newest first, as JSON, then the total.
const LIST = `${PRUNE}
local ids = redis.call('ZREVRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1)
local found = {}
for _, id in ipairs(ids) do found[#found + 1] = redis.call('HGET', KEYS[1], id) end
return { redis.call('ZCARD', KEYS[2]), found }`

// KEYS[3] the replay queue. ARGV[3] the maximum, ARGV[4] 'all' or 'ids', then the ids. Moves each entry found
// from the list to the end of the queue, in one step: no entry is both replayed and still listed, or lost between.
const REQUEUE = `${PRUNE}
local ids = {}
if ARGV[4] == 'all' then ids = redis.call('ZRANGE', KEYS[2], 0, -1) else for i = 5, #ARGV do ids[#ids + 1] = ARGV[i] end end
local moved = {}
for _, id in ipairs(ids) do
  local json = redis.call('HGET', KEYS[1], id)
  if json then
    redis.call('RPUSH', KEYS[3], json)
    redis.call('HDEL', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    moved[#moved + 1] = id
  end
end
if #moved > 0 then
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[3]), -1)
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
end
return moved`

function parse (json: string | null | undefined): StreamDeadLetter | undefined {
  if (typeof json !== 'string') return undefined
  try {
    return JSON.parse(json) as StreamDeadLetter
  } catch {
    return undefined // not ours (a hand-edited key): skipped rather than breaking the list
  }
}

/**
 * The dead-letter list shared by every replica: a hash of entries by record id and a sorted set of their failure
 * times (for newest-first, the cap and the TTL), both under REDIS_KEY_PREFIX, changed only by Lua scripts so that
 * a concurrent add, list or requeue never sees half of a change. The replay queue is a list that any replica pops.
 */
export function createRedisStreamDeadLetters (options: RedisStreamDeadLetterOptions): StreamDeadLetterStore {
  const { redis } = options
  const max = options.max ?? DEAD_LETTER_MAX
  const ttlMs = String(options.ttlMs ?? DEAD_LETTER_TTL_MS)
  const entriesKey = `${options.prefix}:stream:dead`
  const timesKey = `${options.prefix}:stream:dead:at`
  const replayKey = `${options.prefix}:stream:replay`

  return {
    async add (entry) {
      await redis.eval(ADD, 2, entriesKey, timesKey, ttlMs, String(Date.now()), entry.id, JSON.stringify(entry), String(entry.failedAt), String(max))
    },
    async list ({ limit }) {
      const [total, found] = await redis.eval(LIST, 2, entriesKey, timesKey, ttlMs, String(Date.now()), String(limit)) as [number, string[]]
      return { total, entries: found.map(parse).filter((entry) => entry !== undefined) }
    },
    async requeue (ids) {
      const wanted = ids === 'all' ? [] : ids
      const moved = await redis.eval(REQUEUE, 3, entriesKey, timesKey, replayKey, ttlMs, String(Date.now()), String(max), ids === 'all' ? 'all' : 'ids', ...wanted) as string[]
      const requeued = new Set(moved)
      return { requeued: moved, missing: wanted.filter((id) => !requeued.has(id)) }
    },
    async takeReplays (count) {
      const taken = await redis.lpop(replayKey, count)
      return (taken ?? []).map(parse).filter((entry) => entry !== undefined)
    }
  }
}

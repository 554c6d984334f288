import type { Redis } from 'ioredis'
import { defineScripts } from '../redis-scripts.ts'
import { EMPTY_SESSION, type SessionStore, type StoredSession } from './session-store.ts'

// A session is one hash: v = version (saves so far), j = the session JSON, a = applied dedup keys, one a line.
// The save is a compare-and-set on v in one script, so two runs can never both write over the same version.
const SAVE_SCRIPT = `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'j', ARGV[2], 'a', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`

interface SessionCommands {
  fanbotSaveSession: (key: string, expectedVersion: number, json: string, applied: string, ttlMs: number) => Promise<number>
}

export interface RedisSessionStoreOptions {
  /** The command connection of the StoreSetup (fail-fast options: a slow Redis never holds a push). */
  redis: Redis
  prefix: string
  /** SESSION_TTL_MS: every load restarts it (the fan wrote), every save sets it. */
  ttlMs: number
}

/** Sessions shared by every replica, one Redis hash per fan. Redis errors reach the caller (see fan-turn.ts). */
export function createRedisSessionStore (options: RedisSessionStoreOptions): SessionStore {
  const redis = defineScripts<SessionCommands>(options.redis, { fanbotSaveSession: { numberOfKeys: 1, lua: SAVE_SCRIPT } })
  const keyOf = (key: string): string => `${options.prefix}:session:${key}`

  return {
    size: 0, // counted by Redis, not here
    async load (key) {
      const redisKey = keyOf(key)
      const results = await redis.multi().hgetall(redisKey).pexpire(redisKey, options.ttlMs).exec()
      const [error, fields] = results?.[0] ?? [new Error('transaction aborted'), undefined]
      if (error !== null) throw error
      const hash = fields as Record<string, string>
      if (hash.v === undefined) return EMPTY_SESSION
      const session: StoredSession = {
        json: hash.j ?? '{}',
        version: Number(hash.v),
        applied: hash.a === undefined || hash.a === '' ? [] : hash.a.split('\n')
      }
      return session
    },
    async save ({ key, expectedVersion, json, applied }) {
      return await redis.fanbotSaveSession(keyOf(key), expectedVersion, json, applied.join('\n'), options.ttlMs) === 1
    }
  }
}

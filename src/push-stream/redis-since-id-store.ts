import type { Redis } from 'ioredis'
import type { Logger } from '../logger.ts'
import { createCoalescedWriter, sinceIdStoreOf } from './coalesced-writer.ts'
import type { SinceIdStore } from './since-id-store.ts'

export interface RedisSinceIdStoreOptions {
  /** The caller's connection: never closed here. */
  redis: Redis
  /** The key holding the id, e.g. `${REDIS_KEY_PREFIX}:stream:since-id:${subid}`. */
  key: string
  logger: Logger
}

// Sets the key only if the id is greater (longer, or as long and greater as text: ids are decimal strings that
// Lua numbers would round), so replicas sharing the key never move it back.
const SAVE_IF_GREATER = `
local current = redis.call('GET', KEYS[1])
local id = ARGV[1]
if current and (#current > #id or (#current == #id and current >= id)) then return 0 end
redis.call('SET', KEYS[1], id)
return 1
`

/** Keeps the push stream's position in Redis, shared by replicas; writes coalesced, errors logged, never thrown. */
export function createRedisSinceIdStore (options: RedisSinceIdStoreOptions): SinceIdStore {
  const { redis, key, logger } = options
  const writer = createCoalescedWriter({
    async write (id) {
      await redis.eval(SAVE_IF_GREATER, 1, key, id)
    },
    onFailing (error) {
      logger.error({ err: error, pushStream: { code: 'WEIBO_ERR_STREAM_SINCE_ID_UNWRITABLE', key } },
        'cannot save the push stream position (since_id) to Redis: a restart would replay from the last saved one (retrying on each save, logged once until it works)')
    },
    onRecovered () {
      logger.info({ pushStream: { key } }, 'push stream position (since_id) saved again')
    }
  })
  return sinceIdStoreOf({
    writer,
    where: { key },
    logger,
    // A Redis error rejects: the client retries rather than start without a position and skip records.
    read: async () => await redis.get(key) ?? undefined
  })
}

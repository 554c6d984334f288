import type { Redis } from 'ioredis'
import type { DeliveryStore } from './delivery-store.ts'
import { KEEP_FAILED } from './outbox-job.ts'

// GET then SET in one step: two workers running the same job can never both be told `claimed`.
const CLAIM = `
local value = redis.call('GET', KEYS[1])
if value == 'sent' then return 'sent' end
if value then return 'busy' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'claimed'`

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/**
 * A "sent" mark outlives every way the job can run again: its retries, and `outbox retry` of a failed job, which is
 * kept a week; one more day of margin.
 */
export const SENT_MARK_TTL_MS = (KEEP_FAILED.age + 24 * 3600) * 1000

/**
 * Delivery records in Redis: `<prefix>:late-delivered:<job id>:<part>` holds `sent`, or the claim of the sender
 * sending it now. Use a connection that keeps its commands across an outage (PATIENT_OPTIONS): a "sent" mark lost
 * to a command timeout would let the part be sent again.
 */
export function createRedisDeliveryStore (options: { redis: Redis, prefix: string }): DeliveryStore {
  const { redis } = options
  const key = (id: string, part: number): string => `${options.prefix}:late-delivered:${id}:${part}`
  return {
    async sentParts (id, count) {
      if (count === 0) return []
      const values = await redis.mget(Array.from({ length: count }, (_, part) => key(id, part)))
      return values.map((value) => value === 'sent')
    },
    async claim (input) {
      const result = await redis.eval(CLAIM, 1, key(input.id, input.part), input.owner, String(input.leaseMs))
      return result === 'sent' || result === 'busy' ? result : 'claimed'
    },
    async markSent (id, part) {
      await redis.set(key(id, part), 'sent', 'PX', SENT_MARK_TTL_MS)
    },
    async release (input) {
      await redis.eval(RELEASE, 1, key(input.id, input.part), input.owner)
    }
  }
}

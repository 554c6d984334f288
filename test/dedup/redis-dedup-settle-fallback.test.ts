/**
 * The settle marks a push answered and reads what the seen key held in one `SET … GET` (Redis 6.2 and later). An
 * older Redis refuses the GET option, before writing anything: the item then makes the two calls it made before
 * (GET, then SET), and still stores the answer and announces it to a waiting retry. No older Redis runs here, so the
 * item is run as a script whose `redis.pcall` answers that refusal, as Redis 6.0 does, and passes every other call on.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { SETTLE_ITEM } from '../../src/dedup/redis-dedup-store.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

/** The settle item alone, on a Redis whose SET has no GET option; the script answers the item's reply and the refusals. */
const OLD_REDIS_SETTLE = `
local real = redis
local refused = 0
local redis = setmetatable({
  pcall = function (...)
    local call = {...}
    if call[1] == 'SET' and call[#call] == 'GET' then
      refused = refused + 1
      return { err = 'ERR syntax error' }
    end
    return real.pcall(...)
  end
}, { __index = real })
local function item (k, a)
${SETTLE_ITEM}
end
return { item(0, 0), refused }`

for (const { name, olderRedis } of [{ name: 'Redis 6.2 and later: one SET … GET', olderRedis: false }, { name: 'an older Redis: GET, then SET', olderRedis: true }]) {
  test(`the settle on ${name}: the push is answered, the body kept, a waiting retry told`, { skip: skipWithoutRedis }, async (t) => {
    const url = redisUrl() ?? ''
    const prefix = uniquePrefix()
    const redis = new Redis(url, { maxRetriesPerRequest: 1 })
    const listener = new Redis(url, { maxRetriesPerRequest: 1 })
    t.after(async () => { listener.disconnect(); await deleteKeys(url, prefix); redis.disconnect() })
    const heard: string[] = []
    listener.on('message', (_channel: string, message: string) => { heard.push(message) })
    await listener.subscribe(`${prefix}:answers`)
    const settle = async (seenKey: string, answerKey: string): Promise<unknown> => {
      const args = [seenKey, answerKey, '60000', 'the answer', '5000', `${prefix}:answers`, 'head:']
      return olderRedis
        ? await redis.eval(OLD_REDIS_SETTLE, 2, ...args)
        : await redis.eval(`local function item (k, a)\n${SETTLE_ITEM}\nend\nreturn { item(0, 0), 0 }`, 2, ...args)
    }

    // A push nobody waits for: answered, kept, not announced.
    await redis.set(`${prefix}:seen:1`, 'P', 'PX', 1000)
    assert.deepEqual(await settle(`${prefix}:seen:1`, `${prefix}:answer:1`), [1, olderRedis ? 1 : 0])
    assert.equal(await redis.get(`${prefix}:seen:1`), 'A')
    const ttl = await redis.pttl(`${prefix}:seen:1`)
    assert.ok(ttl > 50_000 && ttl <= 60_000, `the seen key lives DEDUP_TTL_MS now, not the claim's 1 s: ${ttl}`)
    assert.equal(await redis.get(`${prefix}:answer:1`), 'the answer')
    const answerTtl = await redis.pttl(`${prefix}:answer:1`)
    assert.ok(answerTtl > 0 && answerTtl <= 5000, `the body lives DEDUP_REPLAY_TTL_MS: ${answerTtl}`)

    // A push a retry waits for (`W`): announced, with the head before the answer.
    await redis.set(`${prefix}:seen:2`, 'W', 'PX', 1000)
    await settle(`${prefix}:seen:2`, `${prefix}:answer:2`)
    assert.equal(await redis.get(`${prefix}:seen:2`), 'A')
    const deadline = Date.now() + 2000
    while (heard.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.deepEqual(heard, ['head:the answer'], 'only the push waited for is announced')
  })
}

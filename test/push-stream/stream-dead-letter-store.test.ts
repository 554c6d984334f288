import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { createMemoryStreamDeadLetters } from '../../src/push-stream/memory-stream-dead-letter-store.ts'
import { createRedisStreamDeadLetters } from '../../src/push-stream/redis-stream-dead-letter-store.ts'
import type { StreamDeadLetter, StreamDeadLetterStore } from '../../src/push-stream/stream-dead-letter-store.ts'
import { parseStreamRecord } from '../../src/push-stream/stream-record.ts'
import { redisStreamDeadLetters } from '../helpers/push-stream.ts'
import { skipWithoutRedis } from '../helpers/redis.ts'

function entry (id: number, failedAt = Date.now()): StreamDeadLetter {
  const record = parseStreamRecord(JSON.stringify({ id, text: { type: 'status', event: 'add', status: { id: 1, text: `record ${id}`, user: { id: 2 } } } }))
  return { id: String(id), record, handler: 'watcher', code: 'WEIBO_ERR_HANDLER_THREW', message: 'boom', attempts: 1, failedAt }
}

const ids = (entries: StreamDeadLetter[]): string[] => entries.map((item) => item.id)

/** What both stores must do, the same way. */
function contract (name: string, make: (t: TestContext, options: { max?: number }) => Promise<StreamDeadLetterStore>, skip: string | false): void {
  describe(`${name} stream dead-letter store`, () => {
    test('lists newest first, limited, with the total; an entry keeps its record', { skip }, async (t) => {
      const store = await make(t, {})
      const now = Date.now()
      for (let id = 1; id <= 5; id++) await store.add(entry(id, now + id))
      const listed = await store.list({ limit: 2 })
      assert.equal(listed.total, 5)
      assert.deepEqual(ids(listed.entries), ['5', '4'])
      assert.deepEqual(listed.entries[0], entry(5, now + 5))
    })

    test('is bounded: past max entries the oldest go', { skip }, async (t) => {
      const store = await make(t, { max: 3 })
      const now = Date.now()
      for (let id = 1; id <= 5; id++) await store.add(entry(id, now + id))
      const listed = await store.list({ limit: 10 })
      assert.equal(listed.total, 3)
      assert.deepEqual(ids(listed.entries), ['5', '4', '3'])
    })

    test('requeue moves entries to the replay queue (missing ids named); takeReplays hands each out once, in order', { skip }, async (t) => {
      const store = await make(t, {})
      const now = Date.now()
      for (let id = 1; id <= 3; id++) await store.add(entry(id, now + id))
      assert.deepEqual(await store.requeue(['2', '9']), { requeued: ['2'], missing: ['9'] })
      assert.deepEqual(ids((await store.list({ limit: 10 })).entries), ['3', '1'])
      assert.deepEqual(ids(await store.takeReplays(10)), ['2'])
      assert.deepEqual(await store.takeReplays(10), [])
      assert.deepEqual((await store.requeue('all')).requeued.sort(), ['1', '3'])
      assert.equal((await store.list({ limit: 10 })).total, 0)
      assert.deepEqual(ids(await store.takeReplays(1)), ['1'])
      assert.deepEqual(ids(await store.takeReplays(1)), ['3'])
    })
  })
}

contract('memory', async (_t, options) => createMemoryStreamDeadLetters(options), false)
contract('Redis', async (t, options) => (await redisStreamDeadLetters(t, options)).store, skipWithoutRedis)

describe('stream dead-letter stores: time limits', () => {
  test('memory: an entry older than the TTL is gone', async () => {
    let now = 10_000 // lru-cache takes a start time of 0 for "no start"
    const store = createMemoryStreamDeadLetters({ ttlMs: 1000, perf: { now: () => now } })
    await store.add(entry(1))
    now = 10_500
    await store.add(entry(2))
    now = 11_200
    assert.deepEqual(ids((await store.list({ limit: 10 })).entries), ['2'])
  })

  test('Redis: an entry that failed longer than the TTL ago is pruned, and every key expires', { skip: skipWithoutRedis }, async (t) => {
    const { store, redis, prefix } = await redisStreamDeadLetters(t, { ttlMs: 60_000 })
    await store.add(entry(1, Date.now() - 61_000))
    await store.add(entry(2))
    const listed = await store.list({ limit: 10 })
    assert.equal(listed.total, 1)
    assert.deepEqual(ids(listed.entries), ['2'])
    assert.equal(await redis.hlen(`${prefix}:stream:dead`), 1)
    for (const key of [`${prefix}:stream:dead`, `${prefix}:stream:dead:at`]) {
      const ttl = await redis.pttl(key)
      assert.ok(ttl > 0 && ttl <= 60_000, `${key} expires (pttl ${ttl})`)
    }
    await store.requeue('all')
    const replayTtl = await redis.pttl(`${prefix}:stream:replay`)
    assert.ok(replayTtl > 0 && replayTtl <= 60_000)
  })

  test('Redis: two replicas taking replays at once never get the same entry', { skip: skipWithoutRedis }, async (t) => {
    const { store, redis, prefix } = await redisStreamDeadLetters(t)
    const other = createRedisStreamDeadLetters({ redis, prefix })
    const now = Date.now()
    for (let id = 1; id <= 20; id++) await store.add(entry(id, now + id))
    await store.requeue('all')
    const [a, b] = await Promise.all([store.takeReplays(15), other.takeReplays(15)])
    const all = [...ids(a), ...ids(b)]
    assert.equal(all.length, 20)
    assert.equal(new Set(all).size, 20)
  })
})

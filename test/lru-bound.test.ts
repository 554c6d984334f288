import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { sha1, sha256 } from '../src/hash.ts'
import { createMemoryStreamDedup } from '../src/push-stream/memory-stream-dedup-store.ts'
import { createMemoryReplayStore } from '../src/replay/memory-replay-store.ts'
import { createMemorySessionStore } from '../src/session/memory-session-store.ts'

const MIB = 1024 * 1024
const allocated = (): number => { const usage = process.memoryUsage(); return usage.heapUsed + usage.arrayBuffers }

describe('stores of up to max entries (lru-cache through lruBound; the replay store\'s ring)', () => {
  test('a store for 1,000,000 entries allocates nothing for them before the first one arrives', () => {
    const before = allocated()
    // lru-cache given `max` allocated ~44 MB for these three (index arrays for every slot); they are kept alive here.
    const stores = [
      createMemorySessionStore({ max: 1_000_000, ttlMs: 60_000 }),
      createMemoryReplayStore({ max: 1_000_000, ttlMs: 60_000 }),
      createMemoryStreamDedup({ max: 1_000_000 })
    ]
    const grown = allocated() - before
    assert.equal(stores.length, 3)
    assert.ok(grown < 2 * MIB, `made three empty stores for 1,000,000 entries each: ${(grown / MIB).toFixed(1)} MiB allocated`)
  })

  test('still bounded: past max the oldest entry goes (replay store: the first written; session store: the least recently used)', async () => {
    const replay = createMemoryReplayStore({ max: 2, ttlMs: 60_000 })
    const sight = async (query: string, body: string): Promise<string> => await replay.sight(sha1(query, 'hex'), sha256(body, 'hex'))
    assert.equal(await sight('q1', 'b1'), 'first')
    assert.equal(await sight('q2', 'b2'), 'first')
    assert.equal(await sight('q3', 'b3'), 'first')
    assert.equal(await sight('q3', 'b3'), 'same')
    assert.equal(await sight('q1', 'b1'), 'first', 'q1 was evicted')

    const sessions = createMemorySessionStore({ max: 2, ttlMs: 60_000 })
    for (const key of ['a', 'b', 'c']) assert.equal(await sessions.save({ key, expectedVersion: 0, json: `{"k":"${key}"}`, applied: [] }), true)
    assert.equal(sessions.size, 2)
    assert.equal((await sessions.load('a')).version, 0, 'a, the oldest, was evicted')
    assert.equal((await sessions.load('c')).version, 1)
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createMemoryStreamDedup } from '../../src/push-stream/memory-stream-dedup-store.ts'

describe('memory stream dedup', () => {
  test('an id is new once, then a duplicate', async () => {
    const dedup = createMemoryStreamDedup()
    assert.equal(await dedup.claim('4404160103598340123'), true)
    assert.equal(await dedup.claim('4404160103598340123'), false)
    assert.equal(await dedup.claim('4404160103598340124'), true)
  })

  test('an id is forgotten after ttlMs (injected clock)', async () => {
    let now = 1000
    const dedup = createMemoryStreamDedup({ ttlMs: 60_000, perf: { now: () => now } })
    assert.equal(await dedup.claim('1'), true)
    now += 59_000
    assert.equal(await dedup.claim('1'), false)
    now += 2_000
    assert.equal(await dedup.claim('1'), true)
  })

  test('bounded by max: the oldest id goes first', async () => {
    const dedup = createMemoryStreamDedup({ max: 2 })
    await dedup.claim('1')
    await dedup.claim('2')
    await dedup.claim('3')
    assert.equal(await dedup.claim('3'), false)
    assert.equal(await dedup.claim('1'), true, 'evicted')
  })
})

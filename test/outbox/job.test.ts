import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { dedupKey } from '../../src/dedup/dedup-key.ts'
import { KEEP_COMPLETED, KEEP_FAILED, outboxJobId, outboxJobOptions } from '../../src/outbox/outbox-job.ts'
import { readPush } from '../../src/push-reader.ts'
import { fixture } from '../helpers/push.ts'

describe('outbox job ids and options (no Redis needed)', () => {
  const reading = readPush(fixture('text'))
  const key = reading.kind === 'message' ? dedupKey(reading.message) : ''

  test('the id is derived from the dedup key: stable, distinct per key, and free of the colons BullMQ refuses', () => {
    assert.match(key, /:/, 'a real dedup key holds created_at, with colons')
    const id = outboxJobId(key)
    assert.match(id, /^late-[0-9a-f]{32}$/)
    assert.equal(outboxJobId(key), id)
    assert.notEqual(outboxJobId(`${key}x`), id)
  })

  test('attempts and exponential backoff from the config; completed jobs kept a day, failed ones a week', () => {
    assert.deepEqual(outboxJobOptions({ dedupKey: key, attempts: 8, backoffMs: 1000 }), {
      jobId: outboxJobId(key),
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 86_400, count: 10_000 },
      removeOnFail: { age: 604_800, count: 10_000 }
    })
    assert.deepEqual([KEEP_COMPLETED.age, KEEP_FAILED.age], [24 * 3600, 7 * 24 * 3600])
  })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backoffDelay } from '../src/backoff.ts'

test('backoff doubles from minMs, stays within [minMs, maxMs], and jitters in the upper half', () => {
  const high = { minMs: 100, maxMs: 1000, random: () => 0.999999 }
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((failures) => backoffDelay(failures, high)), [100, 200, 400, 800, 1000, 1000])
  const low = { ...high, random: () => 0 }
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((failures) => backoffDelay(failures, low)), [100, 100, 200, 400, 500, 500])
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildApp } from '../../src/app.ts'
import { createMemoryDedupStore } from '../../src/dedup/memory-dedup-store.ts'
import { text } from '../../src/index.ts'
import { testConfig } from '../helpers/config.ts'
import { fixtureWith, sendPush } from '../helpers/push.ts'

test('weibo_fanbot_dedup_entries stops counting entries whose TTL has passed', async (t) => {
  let now = 1_000_000 // not 0: lru-cache takes a start time of 0 for "no TTL"
  const store = createMemoryDedupStore({ max: 100, ttlMs: 1000, perf: { now: () => now } })
  const app = await buildApp({ config: testConfig(), handlers: [{ on: 'text', handle: () => text('hi') }], store })
  t.after(async () => { await app.close() })
  for (let index = 0; index < 3; index++) assert.equal((await sendPush(app, fixtureWith('text', { text: `m${index}` }))).statusCode, 200)
  const gauge = async (): Promise<string | undefined> =>
    /^weibo_fanbot_dedup_entries (\d+)$/m.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1]
  assert.equal(await gauge(), '3')
  now += 1001
  assert.equal(await gauge(), '0')
})

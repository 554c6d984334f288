import assert from 'node:assert/strict'
import { test } from 'node:test'
import { text } from '../../src/index.ts'
import { createTestKit } from '../../src/testing.ts'
import { openingHours } from '../../handlers/opening-hours.ts'

test('outside opening hours (Beijing time) the fan gets the hours and no handler runs; inside, the handler answers', async (t) => {
  let now = Date.UTC(2026, 0, 5, 14, 0) // 22:00 in Beijing
  let handled = 0
  const kit = await createTestKit({
    handlers: [openingHours({ open: 9, close: 21, now: () => now }), { on: '*', handle: () => { handled++; return text('handled') } }]
  })
  t.after(async () => { await kit.close() })
  assert.deepEqual((await kit.send({ type: 'text', text: '在吗' })).reply?.data, { text: '客服在线时间为每天 9:00–21:00，我们上班后第一时间回复您。' })
  assert.equal(handled, 0)
  // Events still reach their handlers at night (a new follower is welcomed).
  assert.equal((await kit.send({ type: 'event', subtype: 'follow' })).reply?.type, 'text')
  assert.equal(handled, 1)
  now = Date.UTC(2026, 0, 5, 2, 0) // 10:00 in Beijing
  assert.deepEqual((await kit.send({ type: 'text', text: '在吗' })).reply?.data, { text: 'handled' })
})

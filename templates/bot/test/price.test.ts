import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestKit } from 'weibo-fanbot/testing'

// The kit runs the bot in this process with its real pipeline (signature, dedup, the 5-second deadline) and a fake
// Weibo API; a handler's failure is printed to stderr and carried in the result's `error`.
test('价格 is answered with the price list, passively', async (t) => {
  const kit = await createTestKit({ handlersDir: 'handlers' })
  t.after(async () => { await kit.close() })

  const result = await kit.send({ type: 'text', text: '价格' })
  assert.equal(result.handler, 'price')
  assert.equal(result.transport, 'passive')
  assert.match(result.text ?? '', /中杯 15 元/)
})

test('other words are not taken by the price handler', async (t) => {
  const kit = await createTestKit({ handlersDir: 'handlers' })
  t.after(async () => { await kit.close() })

  const result = await kit.send({ type: 'text', text: '你好' })
  assert.equal(result.transport, 'none')
  assert.equal(result.error, undefined)
})

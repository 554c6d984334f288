import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestKit } from 'weibo-fanbot/testing'

test('a new follower is welcomed', async (t) => {
  const kit = await createTestKit({ handlersDir: 'handlers' })
  t.after(async () => { await kit.close() })

  const result = await kit.send({ type: 'event', subtype: 'follow' })
  assert.equal(result.handler, 'welcome')
  assert.equal(result.text, '感谢关注！回复「价格」看价目表。')
})

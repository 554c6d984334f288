import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exampleKit } from '../helpers/examples.ts'

test('a blocked fan gets no reply and reaches no handler; others are answered', async (t) => {
  const kit = await exampleKit(t)
  const blocked = await kit.send({ type: 'text', text: '你好', senderId: '1000000001' })
  assert.equal(blocked.transport, 'none')
  assert.equal(blocked.tries[0]?.body, '')
  const fan = await kit.send({ type: 'text', text: '你好', senderId: '1000000002' })
  assert.equal(fan.transport, 'passive')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exampleKit } from '../helpers/examples.ts'

test('past 20 messages a minute a fan is told once, then ignored; another fan is not limited', async (t) => {
  const kit = await exampleKit(t, undefined, { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' })
  for (let index = 0; index < 20; index++) {
    assert.equal((await kit.send({ type: 'text', text: '你好', senderId: '8001' })).transport, 'passive', `message ${index + 1}`)
  }
  const told = await kit.send({ type: 'text', text: '你好', senderId: '8001' })
  assert.deepEqual(told.reply?.data, { text: '您发消息太快啦，请稍等一分钟再试～' })
  assert.equal((await kit.send({ type: 'text', text: '你好', senderId: '8001' })).transport, 'none')
  assert.equal((await kit.send({ type: 'text', text: '你好', senderId: '8002' })).transport, 'passive')
})

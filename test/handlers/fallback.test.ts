import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertBlank, exampleKit, replyTo } from '../helpers/examples.ts'
import { fixture, fixtureWith } from '../helpers/push.ts'

test('unrecognised text gets a hint to send 帮助', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('text'))
  assert.deepEqual(reply, {
    type: 'text',
    data: { text: '抱歉，这句我还没学会～回复「帮助」看看我能做什么，或留言等客服回复。' }
  })
})

test('priority -1 lets the keyword handlers answer first, although fallback.ts loads before text-keyword.ts', async (t) => {
  const kit = await exampleKit(t)
  const files = kit.app.fanbot.handlers.map((handler) => handler.file)
  assert.ok(files.findIndex((file) => file.endsWith('fallback.ts')) < files.findIndex((file) => file.endsWith('text-keyword.ts')))
  const reply = await replyTo(kit, fixtureWith('text', { text: '你好' }))
  assert.match((reply.data as { text: string }).text, /^你好呀/)
})

test('the fallback answers text only: an event no example listens to stays unanswered', async (t) => {
  const kit = await exampleKit(t)
  await assertBlank(kit, fixtureWith('event-subscribe', { text: '取消订阅事件消息', data: { subtype: 'unsubscribe' } }))
})

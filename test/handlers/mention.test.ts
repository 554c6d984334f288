import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertBlank, exampleKit, replyTo } from '../helpers/examples.ts'
import { fixture, fixtureWith } from '../helpers/push.ts'

test('a mention in a status gets the status reply', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('mention-status'))
  assert.deepEqual(reply, { type: 'text', data: { text: '谢谢你在微博里@我们！想了解活动请私信回复「活动」，门店问题发送位置给我们就好。' } })
})

test('a mention in a comment gets the comment reply', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('mention-comment'))
  assert.deepEqual(reply, { type: 'text', data: { text: '谢谢你的评论！有任何问题都可以私信我们，客服工作日 2 小时内回复。' } })
})

test('a mention with nothing but @-names keeps the one reply Weibo allows unused', async (t) => {
  const kit = await exampleKit(t)
  await assertBlank(kit, fixtureWith('mention-status', { text: '@青柚茶饮 @小明:' }))
  await assertBlank(kit, fixtureWith('mention-comment', { text: ' @青柚茶饮 ' }))
})

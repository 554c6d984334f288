import assert from 'node:assert/strict'
import { test } from 'node:test'
import { makePush, pushToJson, type KitResult } from '../../src/testing.ts'
import { exampleKit } from '../helpers/examples.ts'

// Overload shedding is not what these tests are about, and the shared test machine lags at times.
const ENV = { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' }
const said = (result: KitResult): string => (result.reply?.data as { text?: string } | undefined)?.text ?? ''

test('the whole dialogue: 查订单, a wrong number, an unknown one, then the order\'s status', async (t) => {
  const kit = await exampleKit(t, undefined, ENV)
  assert.equal(said(await kit.send({ type: 'text', text: '查订单' })), '请输入 6 位订单号（回复「取消」退出）')
  assert.equal(said(await kit.send({ type: 'text', text: '12ab' })), '订单号是 6 位数字，请重新输入（回复「取消」退出）')
  // The conversation's state, as stored in the fan's session.
  const { conversation } = await kit.session()
  assert.deepEqual({ ...conversation, expiresAt: typeof conversation.expiresAt }, { name: 'order-lookup', step: 'number', data: { misses: 1 }, expiresAt: 'number' })
  assert.equal(said(await kit.send({ type: 'text', text: '555555' })), '没有找到订单 555555，请核对后重新输入（回复「取消」退出）')
  const answer = await kit.send({ type: 'text', text: ' 100002 ' })
  assert.equal(answer.transport, 'passive')
  assert.equal(said(answer), '订单 100002：制作中。门店正在制作，约 10 分钟后可取')
  // The conversation is over: a number is just text again (the fallback's help hint).
  assert.equal((await kit.session()).conversation, undefined)
  assert.match(said(await kit.send({ type: 'text', text: '100001' })), /回复「帮助」/)
})

test('取消 ends the lookup; an image while it waits is not an order number', async (t) => {
  const kit = await exampleKit(t, undefined, ENV)
  await kit.send({ type: 'text', text: '查订单' })
  assert.equal(said(await kit.send({ type: 'image' })), '订单号是 6 位数字，请重新输入（回复「取消」退出）')
  assert.equal(said(await kit.send({ type: 'text', text: '取消' })), '已取消。')
  assert.match(said(await kit.send({ type: 'text', text: '100001' })), /回复「帮助」/)
})

test('three wrong numbers end it politely', async (t) => {
  const kit = await exampleKit(t, undefined, ENV)
  await kit.send({ type: 'text', text: '查订单' })
  await kit.send({ type: 'text', text: 'a' })
  await kit.send({ type: 'text', text: 'b' })
  assert.equal(said(await kit.send({ type: 'text', text: 'c' })), '订单号不对，已退出查询。需要帮助请回复「帮助」。')
})

test('two fans look up orders at once without seeing each other\'s step', async (t) => {
  const kit = await exampleKit(t, undefined, ENV)
  await kit.send({ type: 'text', text: '查订单', senderId: '7001' })
  // Fan 7002 never asked: his number is plain text.
  assert.match(said(await kit.send({ type: 'text', text: '100001', senderId: '7002' })), /回复「帮助」/)
  assert.match(said(await kit.send({ type: 'text', text: '100001', senderId: '7001' })), /^订单 100001：已发货/)
})

test('a slow step (the archive) crosses the deadline: the answer comes late through messages/reply, once', async (t) => {
  const kit = await exampleKit(t, undefined, ENV)
  await kit.send({ type: 'text', text: '查订单' })
  const slow = await kit.send({ type: 'text', text: '900001' })
  assert.equal(slow.tries[0]?.body, '') // blank at the kit's 50 ms deadline
  assert.equal(slow.transport, 'active')
  assert.equal(said(slow), '订单 900001：已完成。2025 年 3 月 8 日已签收')
  assert.equal(slow.apiCalls.filter((call) => call.path.startsWith('/2/messages/reply')).length, 1)
})

test('Weibo retries in the middle of the slow step: it runs once, answers once, and the dialogue goes on right', async (t) => {
  const kit = await exampleKit(t, undefined, ENV)
  await kit.send({ type: 'text', text: '查订单' })
  const number = pushToJson(makePush({ type: 'text', text: '900001', createdAt: new Date(Date.now() + 60_000) }))
  const callsBefore = kit.api.calls.length
  const first = kit.sendRaw(number)
  await new Promise((resolve) => setTimeout(resolve, 100)) // past the deadline, the archive still looking
  const [original, retry] = await Promise.all([first, kit.sendRaw(number)])
  const replies = kit.api.calls.slice(callsBefore).filter((call) => call.path.startsWith('/2/messages/reply') && call.status === 200)
  assert.equal(replies.length, 1)
  assert.equal(said(original), '订单 900001：已完成。2025 年 3 月 8 日已签收')
  assert.equal(retry.tries[0]?.body, '')
  // The step ran once: the conversation ended there, and a later retry (dedup forgot nothing) changes nothing.
  assert.equal(said(await kit.retry(original)), '')
  assert.match(said(await kit.send({ type: 'text', text: '100001', createdAt: new Date(Date.now() + 120_000) })), /回复「帮助」/)
})

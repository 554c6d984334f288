import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertBlank, exampleKit, replyTo } from '../helpers/examples.ts'
import { captureLogs } from '../helpers/logs.ts'
import { fixture, fixtureWith } from '../helpers/push.ts'

test('follow gets the welcome', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('event-follow'))
  assert.deepEqual(reply, { type: 'text', data: { text: '感谢关注青柚茶饮！回复「活动」看本月优惠，发送位置查最近的门店。' } })
})

test('unfollow gets no reply, and is logged', async (t) => {
  const logs = captureLogs('info')
  const kit = await exampleKit(t, logs.logger)
  await assertBlank(kit, fixture('event-unfollow'))
  const line = logs.lines().find((entry) => entry.msg === 'fan unfollowed')
  assert.ok(line !== undefined, 'no log line from the unfollow handler')
  assert.deepEqual(line.unfollow, { fan: '2489518277' })
  // No reply is not a failure: nothing at error level.
  assert.deepEqual(logs.lines().filter((entry) => Number(entry.level) >= 50), [])
})

test('subscribe gets a confirmation', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('event-subscribe'))
  assert.deepEqual(reply, { type: 'text', data: { text: '订阅成功！每周三给你推送新品和会员日优惠。' } })
})

test('scan reads the shop from the QR scene key', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('event-scan'))
  assert.deepEqual(reply.data, { text: '欢迎回来！欢迎光临国贸快闪店，到店出示本消息，第二杯半价。' })
})

test('scan_follow also thanks the new follower', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('event-scan-follow'))
  assert.deepEqual(reply.data, { text: '感谢关注青柚茶饮！欢迎光临静安寺店，到店出示本消息，第二杯半价。' })
})

test('a scan with an unknown scene key gets the generic greeting', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixtureWith('event-scan', { data: { subtype: 'scan', key: 'QR_SCENE_999', ticket: 'TICKET' } }))
  assert.deepEqual(reply.data, { text: '欢迎回来！回复「活动」看本月优惠。' })
})

test('click answers by menu key', async (t) => {
  const kit = await exampleKit(t)
  const groupon = await replyTo(kit, fixture('event-click'))
  assert.match((groupon.data as { text: string }).text, /^团购券/)
  // A different key changes the push's content, so it is not taken for a retry of the first one.
  const points = await replyTo(kit, fixtureWith('event-click', { data: { subtype: 'click', key: 'member_points' } }))
  assert.match((points.data as { text: string }).text, /^查积分/)
  const contact = await replyTo(kit, fixtureWith('event-click', { data: { subtype: 'click', key: 'contact' } }))
  assert.match((contact.data as { text: string }).text, /^客服热线/)
})

test('click on an unknown menu key gets no reply and a warning', async (t) => {
  const logs = captureLogs('info')
  const kit = await exampleKit(t, logs.logger)
  await assertBlank(kit, fixtureWith('event-click', { data: { subtype: 'click', key: 'old_button' } }))
  await assertBlank(kit, fixtureWith('event-click', { data: { subtype: 'click', key: 'constructor' } }))
  const warnings = logs.lines().filter((entry) => entry.msg === 'click on an unknown menu key')
  assert.deepEqual(warnings.map((entry) => entry.menuKey), ['old_button', 'constructor'])
  // "constructor" must not be looked up on Object.prototype (an invalid reply would be logged as an error).
  assert.deepEqual(logs.lines().filter((entry) => Number(entry.level) >= 50), [])
})

test('view gets no reply', async (t) => {
  const kit = await exampleKit(t)
  await assertBlank(kit, fixture('event-view'))
})

test('unsubscribe has no handler and is answered blank', async (t) => {
  const kit = await exampleKit(t)
  await assertBlank(kit, fixtureWith('event-subscribe', { text: '取消订阅事件消息', data: { subtype: 'unsubscribe' } }))
})

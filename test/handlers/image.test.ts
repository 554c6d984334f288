import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exampleKit, replyTo } from '../helpers/examples.ts'
import { captureLogs } from '../helpers/logs.ts'
import { fixture } from '../helpers/push.ts'

test('an image is acknowledged', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('image'))
  assert.deepEqual(reply, { type: 'text', data: { text: '图片收到啦！如果是订单或小票问题，客服会在工作日 2 小时内联系你。' } })
})

test('the image\'s tovfid is logged as a string, with the handler name and dedup key', async (t) => {
  const logs = captureLogs('info')
  const kit = await exampleKit(t, logs.logger)
  await replyTo(kit, fixture('image'))
  const line = logs.lines().find((entry) => entry.msg === 'fan sent an image')
  assert.ok(line !== undefined, 'no log line from the image handler')
  assert.deepEqual(line.image, { fan: '2489518277', tovfid: '821804469' })
  assert.equal(line.handler, 'image')
  assert.equal(typeof line.dedupKey, 'string')
})

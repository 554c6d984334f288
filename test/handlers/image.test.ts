import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exampleKit, replyTo } from '../helpers/examples.ts'
import { captureLogs } from '../helpers/logs.ts'
import { fixture, fixtureWith } from '../helpers/push.ts'

// The kit answers at 50 ms by default; a download takes longer on a busy machine, and this test is about the reply.
const SLOW_HANDLER = { REPLY_DEADLINE_MS: '3000' }
// The fake Weibo serves a PNG for an even fid and an AMR recording for an odd one.
const PNG_IMAGE = fixtureWith('image', { data: { vfid: 821804458, tovfid: 821804468 } })

test('the image is downloaded and described in the reply', async (t) => {
  const kit = await exampleKit(t, undefined, SLOW_HANDLER)
  const reply = await replyTo(kit, PNG_IMAGE)
  assert.equal(reply.type, 'text')
  assert.match((reply.data as { text: string }).text, /^图片收到啦（8×8，\d+\.\d KB）！如果是订单或小票问题/)
  const download = kit.api.calls.find((call) => call.path === '/2/mss/msget')
  assert.equal(download?.params.fid, '821804468', 'downloaded with data.tovfid, not the fan\'s vfid')
})

test('the download is logged with its type and size, the handler name and the dedup key', async (t) => {
  const logs = captureLogs('info')
  const kit = await exampleKit(t, logs.logger, SLOW_HANDLER)
  await replyTo(kit, PNG_IMAGE)
  const line = logs.lines().find((entry) => entry.msg === 'fan sent an image')
  assert.ok(line !== undefined, 'no log line from the image handler')
  const image = line.image as { fan: string, tovfid: string, contentType: string, bytes: number }
  assert.deepEqual({ ...image, bytes: typeof image.bytes }, { fan: '2489518277', tovfid: '821804468', contentType: 'image/png', bytes: 'number' })
  assert.ok(image.bytes > 0)
  assert.equal(line.handler, 'image')
  assert.equal(typeof line.dedupKey, 'string')
})

test('a file that is not a PNG is described by its size alone', async (t) => {
  const kit = await exampleKit(t, undefined, SLOW_HANDLER)
  const reply = await replyTo(kit, fixture('image')) // odd tovfid: the fake serves a non-PNG file
  assert.match((reply.data as { text: string }).text, /^图片收到啦（\d+\.\d KB）！/)
})

test('when the download fails the fan is asked to send the image again, and the failure is logged', async (t) => {
  const logs = captureLogs('info')
  const kit = await exampleKit(t, logs.logger, SLOW_HANDLER)
  kit.api.faults.inject({ kind: 'expired-token' })
  const reply = await replyTo(kit, PNG_IMAGE)
  assert.deepEqual(reply, { type: 'text', data: { text: '图片收到啦！不过暂时没能打开它，方便的话请再发一次。' } })
  const warning = logs.lines().find((entry) => entry.msg === 'could not download the fan\'s image')
  assert.equal((warning?.err as { errorCode?: number } | undefined)?.errorCode, 21327)
})

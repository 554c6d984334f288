import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exampleKit } from '../helpers/examples.ts'
import { captureLogs } from '../helpers/logs.ts'

const FOLLOWER = '3101'

test('a weibo naming the brand gets its author (a follower) a direct message by uid', async (t) => {
  const kit = await exampleKit(t)
  kit.api.recordFanActivity({ type: 'event', sender_id: FOLLOWER, data: { subtype: 'follow' } })
  const result = await kit.publish({ text: '下午茶就喝青柚了', uid: FOLLOWER, screenName: 'tea_lover', keyword: '青柚' })
  assert.equal(result.apiCalls.length, 1)
  const [call] = result.apiCalls
  assert.equal(call?.path, '/2/direct_messages/send.json')
  assert.equal(call?.status, 200)
  assert.equal(call?.params.uid, FOLLOWER)
  assert.equal(call?.params.text, '你好 @tea_lover，看到你提到了青柚茶饮，谢谢！回复「活动」看看本周的优惠吧。')
})

test('the English name matches too, case-insensitively', async (t) => {
  const kit = await exampleKit(t)
  kit.api.recordFanActivity({ type: 'event', sender_id: FOLLOWER, data: { subtype: 'follow' } })
  const result = await kit.publish({ text: 'QingYou boba is great', uid: FOLLOWER })
  assert.equal(result.apiCalls[0]?.status, 200)
})

test('an author who does not follow the account is not messaged; it is logged, not an error', async (t) => {
  const logs = captureLogs('info')
  const kit = await exampleKit(t, logs.logger)
  const result = await kit.publish({ text: '青柚新品', uid: '3102' })
  assert.equal(result.apiCalls[0]?.status, 403, 'Weibo refuses a DM to a non-follower (20301)')
  assert.ok(logs.lines().some((line) => line.msg === 'the author does not follow us: not messaged'))
  assert.ok(!logs.lines().some((line) => line.level === 50), 'no error logged')
})

test('a weibo that does not name the brand reaches no example handler and sends nothing', async (t) => {
  const kit = await exampleKit(t)
  const result = await kit.publish({ text: '今天天气不错', uid: FOLLOWER })
  assert.deepEqual(result.apiCalls, [])
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { WEIBO_RULES, weiboActivityOf } from '../../src/simulator/weibo-rules.ts'

test("the simulator's own table of Weibo's rules: 48 h, 99 per window, 1 per mention, less than 300 characters", () => {
  assert.equal(WEIBO_RULES.replyWindowMs, 48 * 3600_000)
  assert.equal(WEIBO_RULES.repliesPerWindow, 99)
  assert.equal(WEIBO_RULES.repliesPerMention, 1)
  assert.equal(WEIBO_RULES.maxTextChars, 299)
})

test('windows are opened by messages, follow/subscribe, menu click and QR scan only', () => {
  for (const type of ['text', 'position', 'voice', 'image']) assert.equal(weiboActivityOf({ type }), 'interaction', type)
  for (const subtype of ['follow', 'subscribe', 'click', 'scan', 'scan_follow']) {
    assert.equal(weiboActivityOf({ type: 'event', data: { subtype } }), 'interaction', subtype)
  }
  for (const subtype of ['view', 'unsubscribe', 'new_kind']) assert.equal(weiboActivityOf({ type: 'event', data: { subtype } }), undefined, subtype)
  assert.equal(weiboActivityOf({ type: 'event', data: { subtype: 'unfollow' } }), 'unfollow')
  assert.equal(weiboActivityOf({ type: 'mention', data: { subtype: 'status', key: '1' } }), 'mention')
  assert.equal(weiboActivityOf({ type: 'event' }), undefined, 'an event without a subtype')
})

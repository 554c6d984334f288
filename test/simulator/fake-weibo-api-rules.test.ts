import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FAN, fanEvent, fanMention, fanMessage, HOUR, sendReply, startFakeApi, weiboError } from '../helpers/simulator-api.ts'

describe('fake Weibo API: platform reply rules', () => {
  it('refuses a fan who never wrote with 20301', async (t) => {
    const { api } = startFakeApi(t)
    const response = await sendReply(api)
    assert.equal(response.statusCode, 403)
    const body = weiboError(response)
    assert.equal(body.error_code, 20301)
    assert.match(body.error, /reply window is closed: fan \d+ has never messaged the account/)
  })

  it('allows replies until 48 h after the fan\'s last message, then refuses with 20301', async (t) => {
    const { api, clock } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    clock.advance(48 * HOUR - 1)
    assert.equal((await sendReply(api)).statusCode, 200)
    clock.advance(1)
    const response = await sendReply(api)
    assert.equal(response.statusCode, 403)
    assert.equal(weiboError(response).error_code, 20301)
    assert.match(weiboError(response).error, /more than 48 h ago/)
  })

  it('opens the window on follow/subscribe, menu click and QR scan', async (t) => {
    for (const subtype of ['follow', 'subscribe', 'click', 'scan', 'scan_follow']) {
      const { api } = startFakeApi(t)
      api.recordFanActivity(fanEvent(subtype))
      assert.equal((await sendReply(api)).statusCode, 200, subtype)
    }
  })

  it('does not open it on a view event (a menu link opened), nor on unsubscribe or an unknown subtype', async (t) => {
    for (const subtype of ['view', 'unsubscribe', 'something_new']) {
      const { api } = startFakeApi(t)
      api.recordFanActivity(fanEvent(subtype))
      const refused = await sendReply(api)
      assert.equal(weiboError(refused).error_code, 20301, subtype)
    }
  })

  it('allows 99 replies in a window and refuses the 100th with 20016, until the fan writes again', async (t) => {
    const { api, clock } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    for (let i = 1; i <= 99; i++) {
      const response = await sendReply(api)
      assert.equal(response.statusCode, 200, `reply ${i}: ${response.body}`)
    }
    const refused = await sendReply(api)
    assert.equal(refused.statusCode, 403)
    assert.equal(weiboError(refused).error_code, 20016)
    assert.match(weiboError(refused).error, /quota.*99 replies of this 48 h window/)
    clock.advance(HOUR)
    api.recordFanActivity(fanMessage('还在吗'))
    assert.equal((await sendReply(api)).statusCode, 200)
  })

  it('gives a mention exactly one reply', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMention())
    assert.equal((await sendReply(api)).statusCode, 200)
    const refused = await sendReply(api)
    assert.equal(refused.statusCode, 403)
    assert.equal(weiboError(refused).error_code, 20016)
    assert.match(weiboError(refused).error, /mention allows 1 reply/)
  })

  it('refuses after an unfollow, and allows again after a new follow', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    assert.equal((await sendReply(api)).statusCode, 200)
    api.recordFanActivity(fanEvent('unfollow'))
    const refused = await sendReply(api)
    assert.equal(refused.statusCode, 403)
    assert.equal(weiboError(refused).error_code, 20301)
    assert.match(weiboError(refused).error, /unfollowed/)
    api.recordFanActivity(fanEvent('follow'))
    assert.equal((await sendReply(api)).statusCode, 200)
  })

  it('keeps each fan\'s window apart', async (t) => {
    const { api } = startFakeApi(t, { rules: { repliesPerWindow: 1 } })
    api.recordFanActivity(fanMessage('a', '111'))
    api.recordFanActivity(fanMessage('b', '222'))
    assert.equal((await sendReply(api, { receiver_id: '111' })).statusCode, 200)
    assert.equal((await sendReply(api, { receiver_id: '222' })).statusCode, 200)
    assert.equal(weiboError(await sendReply(api, { receiver_id: '111' })).error_code, 20016)
    assert.equal(weiboError(await sendReply(api, { receiver_id: FAN })).error_code, 20301)
  })

  it('follows configured rules, since Weibo has changed them before', async (t) => {
    const { api, clock } = startFakeApi(t, { rules: { windowMs: 72 * HOUR, repliesPerWindow: 3 } })
    api.recordFanActivity(fanMessage())
    clock.advance(60 * HOUR)
    for (let i = 0; i < 3; i++) assert.equal((await sendReply(api)).statusCode, 200)
    assert.match(weiboError(await sendReply(api)).error, /all 3 replies of this 72 h window/)
    assert.deepEqual({ ...api.rules.rules }, { windowMs: 72 * HOUR, repliesPerWindow: 3, repliesPerMention: 1 })
  })
})

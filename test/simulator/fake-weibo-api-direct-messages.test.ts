import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createConversation } from '../../src/simulator/conversation.ts'
import { fakeScreenName } from '../../src/simulator/fake-direct-message-route.ts'
import type { FakeWeiboApi } from '../../src/simulator/fake-weibo-api.ts'
import { ACCOUNT, API_TOKEN, FAN, fanEvent, fanMention, fanMessage, HOUR, postForm, sendReply, START, startFakeApi, weiboError } from '../helpers/simulator-api.ts'
import type { LightMyRequestResponse } from 'fastify'

const PATH = '/2/direct_messages/send.json'

async function sendDm (api: FakeWeiboApi, changes: Record<string, string | undefined> = {}): Promise<LightMyRequestResponse> {
  const fields = Object.entries({ access_token: API_TOKEN, uid: FAN, text: '私信1', ...changes })
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
  return await postForm(api, PATH, Object.fromEntries(fields))
}

describe('fake Weibo API: direct_messages/send', () => {
  it('sends to a follower and answers the DM object of the protocol', async (t) => {
    const conversation = createConversation()
    const { api } = startFakeApi(t, { conversation })
    api.recordFanActivity(fanEvent('follow'))
    const response = await sendDm(api)
    assert.equal(response.statusCode, 200, response.body)
    assert.deepEqual(response.json(), {
      id: 4000000000000001,
      idstr: '4000000000000001',
      created_at: 'Mon Jan 15 12:00:00 +0800 2024',
      text: '私信1',
      sender_id: Number(ACCOUNT),
      recipient_id: Number(FAN),
      sender_screen_name: `fan_${ACCOUNT}`,
      recipient_screen_name: `fan_${FAN}`,
      mid: '4000000000000001',
      geo: null,
      sender: { id: Number(ACCOUNT), idstr: ACCOUNT, screen_name: `fan_${ACCOUNT}` },
      recipient: { id: Number(FAN), idstr: FAN, screen_name: `fan_${FAN}` }
    })
    assert.deepEqual(conversation.entries().at(-1), { from: 'bot', fanId: FAN, at: START, via: 'direct-message', type: 'text', data: { text: '私信1' } })
  })

  it('finds the receiver by screen_name, but uid takes priority', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    const byName = await sendDm(api, { uid: undefined, screen_name: fakeScreenName(FAN) })
    assert.equal(byName.statusCode, 200, byName.body)
    assert.equal(byName.json().recipient_id, Number(FAN))
    const both = await sendDm(api, { screen_name: 'somebody_else' })
    assert.equal(both.statusCode, 200, both.body)
    assert.equal(both.json().recipient_id, Number(FAN))
  })

  it('needs no reply window and uses no reply quota', async (t) => {
    const { api, clock } = startFakeApi(t, { rules: { repliesPerWindow: 1 } })
    api.recordFanActivity(fanMessage())
    assert.equal((await sendDm(api)).statusCode, 200)
    assert.equal((await sendDm(api)).statusCode, 200)
    assert.equal((await sendReply(api)).statusCode, 200, 'the quota is untouched')
    clock.advance(100 * HOUR)
    assert.equal((await sendDm(api)).statusCode, 200, 'a follower stays a follower')
  })

  it('refuses a fan who does not follow with 20301: never seen, only mentioned, or unfollowed', async (t) => {
    const { api } = startFakeApi(t)
    const stranger = await sendDm(api)
    assert.equal(stranger.statusCode, 403)
    assert.deepEqual(Object.keys(stranger.json()), ['request', 'error_code', 'error'])
    assert.equal(weiboError(stranger).request, PATH)
    assert.equal(weiboError(stranger).error_code, 20301)

    api.recordFanActivity(fanMention())
    assert.equal(weiboError(await sendDm(api)).error_code, 20301)

    api.recordFanActivity(fanEvent('follow'))
    assert.equal((await sendDm(api)).statusCode, 200)
    api.recordFanActivity(fanEvent('unfollow'))
    assert.equal(weiboError(await sendDm(api)).error_code, 20301)
    api.recordFanActivity(fanEvent('follow'))
    assert.equal((await sendDm(api)).statusCode, 200, 'following again')
  })

  const refusals: Array<{ name: string, changes: Record<string, string | undefined>, errorCode: number, says: RegExp }> = [
    { name: 'no token', changes: { access_token: undefined }, errorCode: 21301, says: /access_token/ },
    { name: 'a wrong token', changes: { access_token: 'nope' }, errorCode: 21332, says: /invalid_access_token/ },
    { name: 'no text', changes: { text: undefined }, errorCode: 10016, says: /text/ },
    { name: 'empty text', changes: { text: '' }, errorCode: 20008, says: /empty/ },
    { name: 'text of 300 characters (less than 300 allowed)', changes: { text: 'a'.repeat(300) }, errorCode: 20013, says: /300/ },
    { name: 'neither uid nor screen_name', changes: { uid: undefined }, errorCode: 10016, says: /uid or screen_name/ },
    { name: 'a uid that is not decimal', changes: { uid: 'abc' }, errorCode: 10017, says: /uid/ },
    { name: 'an unknown screen_name', changes: { uid: undefined, screen_name: 'nobody' }, errorCode: 20003, says: /fan_<uid>/ }
  ]
  for (const refusal of refusals) {
    it(`refuses ${refusal.name} with ${refusal.errorCode}`, async (t) => {
      const { api } = startFakeApi(t)
      api.recordFanActivity(fanMessage())
      const response = await sendDm(api, refusal.changes)
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, response.body)
      assert.equal(weiboError(response).error_code, refusal.errorCode)
      assert.match(weiboError(response).error, refusal.says)
    })
  }

  it('refuses a JSON body with 10007', async (t) => {
    const { api } = startFakeApi(t)
    const response = await api.app.inject({
      method: 'POST',
      url: `${PATH}?access_token=${API_TOKEN}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ uid: FAN, text: 'hi' })
    })
    assert.equal(weiboError(response).error_code, 10007)
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createConversation } from '../../src/simulator/conversation.ts'
import { createFakeWeiboApi } from '../../src/simulator/fake-weibo-api.ts'
import { createWeiboApiClient } from '../../src/weibo-api/client.ts'
import { WeiboApiError } from '../../src/weibo-api/api-error.ts'
import { createWeiboHttp } from '../../src/weibo-api/http.ts'
import { captureLogs } from '../helpers/logs.ts'
import {
  ACCOUNT, API_TOKEN, FAN, fanEvent, fanMessage, FORM_HEADERS, postForm, replyFields, sendReply, START, startFakeApi, weiboError
} from '../helpers/simulator-api.ts'

const ARTICLE = { display_name: '两个故事', summary: '今天讲两个故事', image: 'http://storage.mcp.weibo.cn/0JlIv.jpg', url: 'http://e.weibo.com/1' }

describe('fake Weibo API: messages/reply success', () => {
  it('answers a text reply with the DM-like object and adds it to the conversation as active', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage('在吗'))
    const response = await sendReply(api)
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /^application\/json/)
    assert.deepEqual(response.json(), {
      id: 4000000000000001,
      idstr: '4000000000000001',
      created_at: 'Mon Jan 15 12:00:00 +0800 2024',
      sender_id: Number(ACCOUNT),
      recipient_id: Number(FAN),
      type: 'text',
      data: { text: '你好，有什么可以帮你？' }
    })
  })

  it('answers articles (1 and 8) and position replies', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    for (const articles of [[ARTICLE], Array.from({ length: 8 }, () => ARTICLE)]) {
      const response = await sendReply(api, { type: 'articles', data: JSON.stringify({ articles }) })
      assert.equal(response.statusCode, 200, response.body)
      assert.deepEqual(response.json().data, { articles })
      assert.equal(response.json().type, 'articles')
    }
    const position = { longitude: '116.308586', latitude: '39.982525' }
    const response = await sendReply(api, { type: 'position', data: JSON.stringify(position) })
    assert.equal(response.statusCode, 200, response.body)
    assert.deepEqual(response.json().data, position)
    assert.equal(response.json().idstr, '4000000000000003', 'ids count up')
  })

  it('serves the commercial /2/messages/reply/biz.json the same way', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    const response = await postForm(api, '/2/messages/reply/biz.json', replyFields({ save_sender_box: '0' }))
    assert.equal(response.statusCode, 200, response.body)
    assert.equal(response.json().type, 'text')
  })

  it('takes the token from the query string as in Weibo\'s curl example', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    const response = await postForm(api, '/2/messages/reply.json', replyFields({ access_token: undefined, save_sender_box: '1' }),
      { query: `access_token=${API_TOKEN}` })
    assert.equal(response.statusCode, 200, response.body)
  })

  it('accepts the form with or without a charset', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    for (const contentType of [FORM_HEADERS['content-type'], 'application/x-www-form-urlencoded', 'Application/X-WWW-Form-URLEncoded; charset=utf-8']) {
      const response = await api.app.inject({
        method: 'POST',
        url: '/2/messages/reply.json',
        headers: { 'content-type': contentType },
        payload: new URLSearchParams(replyFields()).toString()
      })
      assert.equal(response.statusCode, 200, `${contentType}: ${response.body}`)
    }
  })
})

describe('fake Weibo API: conversation', () => {
  it('keeps the fan\'s pushes, passive and active replies in order, with how each was delivered', async (t) => {
    const conversation = createConversation()
    const { api, clock } = startFakeApi(t, { conversation })
    api.recordFanActivity(fanMessage('在吗'))
    api.recordPassiveReply(FAN, { type: 'text', data: { text: '在的' } })
    clock.advance(1000)
    await sendReply(api, { data: JSON.stringify({ text: '稍后回复' }) })
    api.recordFanActivity({ type: 'event', sender_id: Number(FAN), data: { subtype: 'click', key: 'menu_1' } })
    assert.deepEqual(conversation.entries(FAN), [
      { from: 'fan', fanId: FAN, at: START, type: 'text', text: '在吗' },
      { from: 'bot', fanId: FAN, at: START, via: 'passive', type: 'text', data: { text: '在的' } },
      { from: 'bot', fanId: FAN, at: START + 1000, via: 'active', type: 'text', data: { text: '稍后回复' } },
      { from: 'fan', fanId: FAN, at: START + 1000, type: 'event', subtype: 'click', text: '' }
    ])
  })

  it('does not count passive replies against the active quota', async (t) => {
    const { api } = startFakeApi(t, { rules: { repliesPerWindow: 1 } })
    api.recordFanActivity(fanMessage())
    for (let i = 0; i < 5; i++) api.recordPassiveReply(FAN, { type: 'text', data: { text: `passive ${i}` } })
    assert.equal((await sendReply(api)).statusCode, 200)
    assert.equal(weiboError(await sendReply(api)).error_code, 20016)
  })

  it('opens no window on unsubscribe, but still shows it in the conversation', async (t) => {
    const conversation = createConversation()
    const { api } = startFakeApi(t, { conversation })
    api.recordFanActivity(fanEvent('unsubscribe'))
    assert.equal(weiboError(await sendReply(api)).error_code, 20301)
    assert.deepEqual(conversation.entries().map((entry) => [entry.from, entry.type, 'subtype' in entry ? entry.subtype : undefined]), [
      ['fan', 'event', 'unsubscribe']
    ])
  })

  it('takes a push with only type and sender_id', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity({ type: 'text', sender_id: Number(FAN) })
    assert.equal((await sendReply(api)).statusCode, 200)
  })

  it('refuses something that is not a push', (t) => {
    const { api } = startFakeApi(t)
    assert.throws(() => { api.recordFanActivity({ type: 'text', sender_id: 'not-a-uid' }) }, TypeError)
  })
})

describe('fake Weibo API: calls', () => {
  it('records every call in order with the token redacted, wherever it was sent', async (t) => {
    const { api, clock } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    await sendReply(api)
    clock.advance(5)
    await postForm(api, '/2/messages/reply.json', replyFields({ access_token: undefined }), { query: `access_token=${API_TOKEN}` })
    await api.app.inject({ method: 'GET', url: `/2/mss/msget?fid=12&access_token=${API_TOKEN}` })
    await sendReply(api, { access_token: 'wrong-token' })

    assert.deepEqual(api.calls.map((call) => [call.method, call.path, call.status, call.at]), [
      ['POST', '/2/messages/reply.json', 200, START],
      ['POST', '/2/messages/reply.json', 200, START + 5],
      ['GET', '/2/mss/msget', 200, START + 5],
      ['POST', '/2/messages/reply.json', 401, START + 5]
    ])
    const [first, , media, refused] = api.calls
    assert.deepEqual(first?.params, { ...replyFields(), access_token: '[Redacted]' })
    assert.equal((first?.response as { idstr: string }).idstr, '4000000000000001')
    assert.deepEqual(media?.params, { fid: '12', access_token: '[Redacted]' })
    assert.equal((media?.response as { contentType: string }).contentType, 'image/png')
    assert.ok((media?.response as { bytes: number }).bytes > 0)
    assert.deepEqual(refused?.response, { request: '/2/messages/reply.json', error_code: 21332, error: 'invalid_access_token' })
    assert.equal(JSON.stringify(api.calls).includes(API_TOKEN), false)
    assert.equal(JSON.stringify(api.calls).includes('wrong-token'), false)
  })

  it('never writes the token to its logs', async (t) => {
    const logs = captureLogs('trace')
    const { api } = startFakeApi(t, { logger: logs.logger })
    api.recordFanActivity(fanMessage())
    await sendReply(api)
    await postForm(api, '/2/messages/reply.json', replyFields({ access_token: undefined }), { query: `access_token=${API_TOKEN}` })
    await api.app.inject({ method: 'GET', url: `/2/nowhere?access_token=${API_TOKEN}` })
    api.faults.inject({ kind: 'drop' })
    await assert.rejects(sendReply(api))
    assert.ok(logs.lines().length >= 4, 'one line per call')
    assert.ok(logs.lines().some((line) => (line.weiboApi as { status?: number } | undefined)?.status === 200))
    assert.equal(logs.text().includes(API_TOKEN), false)
  })
})

describe('fake Weibo API: over loopback HTTP', () => {
  it('listens on 127.0.0.1, serves our own Weibo client, and stops', async (t) => {
    const api = createFakeWeiboApi({ accessToken: API_TOKEN })
    t.after(async () => { await api.close() })
    assert.throws(() => api.baseUrl, /not listening/)
    const baseUrl = await api.listen()
    assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(api.baseUrl, baseUrl)
    await assert.rejects(api.listen(), /already listens/)

    const logs = captureLogs()
    const http = createWeiboHttp({ baseUrl, accessToken: API_TOKEN, timeoutMs: 2000, maxRetries: 0, retryMinMs: 1, logger: logs.logger })
    const client = createWeiboApiClient({ http, saveSenderBox: false })
    api.recordFanActivity(fanMessage())
    const sent = await client.messages.reply({ receiverId: FAN, reply: { type: 'position', longitude: 116.3, latitude: 39.9 } })
    assert.deepEqual((sent as { data: unknown }).data, { longitude: '116.3', latitude: '39.9' })
    assert.equal(api.calls[0]?.params.save_sender_box, '0')

    const refusal = await client.messages.reply({ receiverId: '123456', reply: { type: 'text', text: 'hi' } }).catch((error: unknown) => error)
    assert.ok(refusal instanceof WeiboApiError)
    assert.equal(refusal.errorCode, 20301)
    assert.equal(refusal.status, 403)
    assert.equal(refusal.request, '/2/messages/reply.json')

    const response = await fetch(`${baseUrl}/2/unknown.json`)
    assert.equal(response.status, 404)
    assert.deepEqual(await response.json(), { request: '/2/unknown.json', error_code: 10020, error: 'request api not found: /2/unknown.json' })

    await api.close()
    assert.throws(() => api.baseUrl, /not listening/)
    await assert.rejects(fetch(`${baseUrl}/2/mss/msget`))
  })
})

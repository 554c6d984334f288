import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { describe, it } from 'node:test'
import { createConversation } from '../../src/simulator/conversation.ts'
import { createWeiboApiClient } from '../../src/weibo-api/client.ts'
import { WeiboApiError } from '../../src/weibo-api/api-error.ts'
import { createWeiboHttp } from '../../src/weibo-api/http.ts'
import { captureLogs } from '../helpers/logs.ts'
import { API_TOKEN, FAN, fanMessage, sendReply, startFakeApi, weiboError } from '../helpers/simulator-api.ts'

describe('fake Weibo API: faults', () => {
  it('server-error answers a 5xx whose body is not Weibo JSON (502 unless told)', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    api.faults.inject({ kind: 'server-error' })
    api.faults.inject({ kind: 'server-error', status: 503 })
    const first = await sendReply(api)
    assert.equal(first.statusCode, 502)
    assert.match(String(first.headers['content-type']), /^text\/html/)
    assert.throws(() => JSON.parse(first.body))
    assert.match(first.body, /502 Bad Gateway/)
    assert.equal((await sendReply(api)).statusCode, 503)
    assert.equal((await sendReply(api)).statusCode, 200, 'the queue is empty again')
  })

  it('answers Weibo JSON for expired-token (21327), rate-limit (10023) and system-error (10001)', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    api.faults.inject({ kind: 'expired-token' })
    api.faults.inject({ kind: 'rate-limit' })
    api.faults.inject({ kind: 'system-error' })
    const answers = [await sendReply(api), await sendReply(api), await sendReply(api)]
    assert.deepEqual(answers.map((response) => [response.statusCode, response.json()]), [
      [401, { request: '/2/messages/reply.json', error_code: 21327, error: 'expired_token' }],
      [403, { request: '/2/messages/reply.json', error_code: 10023, error: 'user requests out of rate limit' }],
      [500, { request: '/2/messages/reply.json', error_code: 10001, error: 'system error' }]
    ])
    assert.deepEqual(api.calls.map((call) => call.fault), ['expired-token', 'rate-limit', 'system-error'])
  })

  it('drop rejects inject and changes nothing', async (t) => {
    const conversation = createConversation()
    const { api } = startFakeApi(t, { conversation, rules: { repliesPerWindow: 1 } })
    api.recordFanActivity(fanMessage())
    api.faults.inject({ kind: 'drop' })
    await assert.rejects(sendReply(api), /destroyed/)
    assert.equal(api.calls[0]?.status, 0)
    assert.equal(api.calls[0]?.fault, 'drop')
    assert.equal(api.calls[0]?.response, undefined)
    assert.equal(conversation.entries().length, 1)
    assert.equal((await sendReply(api)).statusCode, 200, 'the dropped call used no quota')
  })

  it('drop makes fetch fail over real HTTP', async (t) => {
    const { api } = startFakeApi(t)
    const baseUrl = await api.listen()
    api.faults.inject({ kind: 'drop' })
    await assert.rejects(fetch(`${baseUrl}/2/mss/msget?fid=12&access_token=${API_TOKEN}`), TypeError)
    const response = await fetch(`${baseUrl}/2/mss/msget?fid=12&access_token=${API_TOKEN}`)
    assert.equal(response.status, 200)
    await response.arrayBuffer()
  })

  it('delay answers normally, ms later', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    api.faults.inject({ kind: 'delay', ms: 40 })
    const started = performance.now()
    const response = await sendReply(api)
    assert.ok(performance.now() - started >= 35, 'waited')
    assert.equal(response.statusCode, 200)
    assert.equal(api.calls[0]?.fault, 'delay')
    assert.equal(api.calls[0]?.status, 200)
  })

  it('keeps a delayed call in its arrival place in calls[]', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    api.faults.inject({ kind: 'delay', ms: 30 })
    const slow = sendReply(api, { data: JSON.stringify({ text: 'slow' }) })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const fast = await sendReply(api, { data: JSON.stringify({ text: 'fast' }) })
    assert.equal(fast.statusCode, 200)
    await slow
    assert.deepEqual(api.calls.map((call) => call.params.data), [JSON.stringify({ text: 'slow' }), JSON.stringify({ text: 'fast' })])
  })

  it('applies a fault to the next `times` calls, faults in order, and clear() empties the queue', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    api.faults.inject({ kind: 'system-error' }, 2)
    api.faults.inject({ kind: 'rate-limit' })
    const codes = []
    for (let i = 0; i < 4; i++) codes.push((await sendReply(api)).statusCode)
    assert.deepEqual(codes, [500, 500, 403, 200])

    api.faults.inject({ kind: 'system-error' }, 5)
    api.faults.clear()
    assert.equal((await sendReply(api)).statusCode, 200)
  })

  it('applies faults to any call, even one that would be refused or is unknown', async (t) => {
    const { api } = startFakeApi(t)
    api.faults.inject({ kind: 'expired-token' }, 2)
    assert.equal(weiboError(await sendReply(api, { access_token: 'wrong' })).error_code, 21327)
    assert.equal(weiboError(await api.app.inject({ method: 'GET', url: '/2/unknown' })).error_code, 21327)
  })

  it('checks what it is given', (t) => {
    const { api } = startFakeApi(t)
    assert.throws(() => { api.faults.inject({ kind: 'drop' }, 0) }, RangeError)
    assert.throws(() => { api.faults.inject({ kind: 'drop' }, 1.5) }, RangeError)
    assert.throws(() => { api.faults.inject({ kind: 'server-error', status: 404 }) }, RangeError)
    assert.throws(() => { api.faults.inject({ kind: 'delay', ms: -1 }) }, RangeError)
  })

  it('lets our own client retry through a system error and a dropped connection', async (t) => {
    const { api } = startFakeApi(t)
    const baseUrl = await api.listen()
    api.recordFanActivity(fanMessage())
    const logs = captureLogs()
    const http = createWeiboHttp({ baseUrl, accessToken: API_TOKEN, timeoutMs: 2000, maxRetries: 2, retryMinMs: 1, logger: logs.logger })
    const client = createWeiboApiClient({ http, saveSenderBox: true })
    api.faults.inject({ kind: 'system-error' })
    api.faults.inject({ kind: 'drop' })
    const sent = await client.messages.reply({ receiverId: FAN, reply: { type: 'text', text: '终于到了' } })
    assert.deepEqual((sent as { data: unknown }).data, { text: '终于到了' })
    assert.deepEqual(api.calls.map((call) => call.status), [500, 0, 200])

    api.faults.inject({ kind: 'expired-token' })
    const error = await client.messages.reply({ receiverId: FAN, reply: { type: 'text', text: 'x' } }).catch((caught: unknown) => caught)
    assert.ok(error instanceof WeiboApiError)
    assert.equal(error.errorCode, 21327)
    assert.equal(error.needsRebind, true)
  })
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { WeiboApiError } from '../../src/weibo-api/api-error.ts'
import { createWeiboApiClient } from '../../src/weibo-api/client.ts'
import { createWeiboHttp } from '../../src/weibo-api/http.ts'
import { createCommercialLimiter } from '../../src/weibo-api/rate-limiter.ts'
import { captureLogs } from '../helpers/logs.ts'
import { follower, refused, setup } from '../helpers/weibo-api.ts'

test('directMessages.send by uid and by screen name to a follower', async (t) => {
  const { fake, api } = await setup(t)
  follower(fake, '2001')
  const byUid = await api.directMessages.send({ uid: '2001', text: '你好' })
  assert.equal(byUid.text, '你好')
  const byName = await api.directMessages.send({ screenName: 'fan_2001', text: 'hi' })
  assert.equal(String(byName.recipient_id), '2001')
  assert.deepEqual(fake.calls.map((call) => call.path), ['/2/direct_messages/send.json', '/2/direct_messages/send.json'])
})

test('a DM to a non-follower is Weibo\'s 20301, not retried', async (t) => {
  const { fake, api } = await setup(t)
  const error = await refused<WeiboApiError>(api.directMessages.send({ uid: '2002', text: 'hi' }), 'WEIBO_ERR_API_REJECTED')
  assert.equal(error.errorCode, 20301)
  assert.equal(fake.calls.length, 1)
})

test('text of 0 or 300 characters is refused before any call (less than 300); 299 go out, emoji counted as one', async (t) => {
  const { fake, api } = await setup(t)
  await refused(api.directMessages.send({ uid: '1', text: 'x'.repeat(300) }), 'WEIBO_ERR_API_INVALID_REQUEST')
  await refused(api.directMessages.send({ uid: '1', text: '😀'.repeat(300) }), 'WEIBO_ERR_API_INVALID_REQUEST')
  await refused(api.directMessages.send({ uid: '1', text: '' }), 'WEIBO_ERR_API_INVALID_REQUEST')
  assert.equal(fake.calls.length, 0)
  follower(fake, '2003')
  await api.directMessages.send({ uid: '2003', text: '😀'.repeat(299) })
  await api.directMessages.send({ uid: '2003', text: '字'.repeat(299) })
  assert.equal(fake.calls.filter((call) => call.status === 200).length, 2)
})

test('the commercial limiter: with a reservoir of 2 the 3rd c.api call waits for the refill', async (t) => {
  const limiter = createCommercialLimiter({ reservoir: 2, refreshIntervalMs: 3_600_000 })
  t.after(async () => { await limiter.stop({ dropWaitingJobs: true }).catch(() => {}) })
  const { fake, api } = await setup(t, { commercialLimiter: limiter })
  follower(fake, '2004')
  await api.directMessages.send({ uid: '2004', text: 'one' })
  await api.directMessages.send({ uid: '2004', text: 'two' })
  let third = false
  const pending = api.directMessages.send({ uid: '2004', text: 'three' }).then(() => { third = true })
  await new Promise((resolve) => setTimeout(resolve, 150))
  assert.equal(third, false, 'the third call went out before the budget was refilled')
  assert.equal(fake.calls.length, 2)
  assert.equal(await limiter.currentReservoir(), 0)
  // m.api calls do not count against the commercial budget.
  await api.users.info('2004')
  await limiter.incrementReservoir(1)
  await pending
  assert.equal(third, true)
})

test('an answer of the wrong shape is WEIBO_ERR_API_BAD_RESPONSE', async (t) => {
  // The simulator's fake always answers a DM with the DM object, so a bare loopback server plays the wrong shape.
  let requests = 0
  const server = createServer((_request, response) => {
    requests++
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"result":true}')
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  t.after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => { server.close(resolve) })
  })
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const http = createWeiboHttp({ baseUrl, accessToken: 'tok', timeoutMs: 2000, maxRetries: 0, retryMinMs: 1, logger: captureLogs().logger })
  const api = createWeiboApiClient({ http, saveSenderBox: true, commercialBaseUrl: baseUrl })
  const error = await refused<WeiboApiError>(api.directMessages.send({ uid: '1', text: 'hi' }), 'WEIBO_ERR_API_BAD_RESPONSE')
  assert.equal(error.request, '/2/direct_messages/send.json')
  assert.equal(error.retryable, false)
  assert.equal(requests, 1)
})

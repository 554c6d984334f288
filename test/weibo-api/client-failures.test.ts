import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WeiboApiError } from '../../src/weibo-api/api-error.ts'
import { WEIBO_ERROR_CODES, describeWeiboErrorCode } from '../../src/weibo-api/error-codes.ts'
import { TEST_TOKEN } from '../helpers/config.ts'
import { captureLogs } from '../helpers/logs.ts'
import { fanWrites } from '../helpers/simulator-api.ts'
import { REPLY_PATH, TEXT, accepted, apiError, client, listen, rejection, scripted, setup, visibleText, weiboError } from '../helpers/api-client.ts'

describe('messages.reply: permanent failures', () => {
  test('error_code 21327 → WeiboApiError WEIBO_ERR_API_REJECTED, needsRebind, exactly 1 call', async (t) => {
    const { fake, api } = await setup(t)
    fanWrites(fake, '1')
    fake.faults.inject({ kind: 'expired-token' }) // Weibo's 21327 on HTTP 401
    const error = await apiError(api.messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_REJECTED')
    assert.equal(error.errorCode, 21327)
    assert.equal(error.status, 401)
    assert.equal(error.request, REPLY_PATH)
    assert.equal(error.weiboMessage, 'expired_token')
    assert.equal(error.needsRebind, true)
    assert.equal(error.retryable, false)
    assert.equal(error.statusCode, 502)
    assert.match(error.message, /error_code 21327 \(expired_token/)
    assert.equal(fake.calls.length, 1)
  })

  test('error_code 20301 (the fan never wrote: no reply window) → rejected, no rebind, not retried', async (t) => {
    const { fake, api } = await setup(t) // fan 1 has not written, so the fake refuses as Weibo does
    const error = await apiError(api.messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_REJECTED')
    assert.equal(error.errorCode, 20301)
    assert.equal(error.status, 403)
    assert.equal(error.needsRebind, false)
    assert.equal(fake.calls.length, 1)
  })

  // The cases below are answers the simulator's fake never gives, so a scripted server plays them.
  test('an unknown error_code, even with HTTP 500, is permanent', async (t) => {
    const server = await scripted(t, weiboError(29999, 500))
    const error = await apiError(client(server.baseUrl, captureLogs()).messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_REJECTED')
    assert.equal(error.errorCode, 29999)
    assert.match(error.message, /unknown Weibo error/)
    assert.equal(server.bodies.length, 1)
  })

  test('an error_code sent as a string is read as a number', async (t) => {
    const server = await scripted(t, { status: 400, body: { error_code: '21315', error: 'expired_token' } })
    const error = await apiError(client(server.baseUrl, captureLogs()).messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_REJECTED')
    assert.equal(error.errorCode, 21315)
    assert.equal(error.needsRebind, true)
    assert.equal(error.request, REPLY_PATH, 'without a request field in the body, the path called is reported')
  })

  test('an HTTP 404 without a Weibo error body → WEIBO_ERR_API_HTTP, not retried', async (t) => {
    const server = await scripted(t, { status: 404, body: { message: 'not found' } })
    const error = await apiError(client(server.baseUrl, captureLogs()).messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_HTTP')
    assert.equal(error.status, 404)
    assert.equal(server.bodies.length, 1)
  })

  test('a 200 whose body is not JSON → WEIBO_ERR_API_BAD_RESPONSE, not retried', async (t) => {
    const server = await scripted(t, { status: 200, body: '<html>maintenance</html>' })
    const error = await apiError(client(server.baseUrl, captureLogs()).messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_BAD_RESPONSE')
    assert.equal(error.status, 200)
    assert.equal(error.retryable, false)
    assert.equal(server.bodies.length, 1)
  })

  test('no answer within timeoutMs → WEIBO_ERR_API_TIMEOUT, not retried (the reply may have gone)', async (t) => {
    const held: IncomingMessage[] = []
    const baseUrl = await listen(t, (request) => { held.push(request) })
    // The timer covers connecting too: at 50 ms a loaded machine sometimes gave up before the request arrived, and
    // this test is about a request that reached Weibo and got no answer.
    const api = client(baseUrl, captureLogs(), { timeoutMs: 1000, maxRetries: 3 })

    const error = await apiError(api.messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_TIMEOUT')
    assert.equal(error.retryable, false)
    assert.equal(error.request, REPLY_PATH)
    assert.equal(error.status, undefined)
    assert.equal(held.length, 1)
    assert.equal(held[0]?.url, REPLY_PATH)
  })

  test('an answer whose body stalls past timeoutMs → WEIBO_ERR_API_TIMEOUT, not retried', async (t) => {
    let requests = 0
    const baseUrl = await listen(t, (_request, response) => {
      requests++
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      response.write('{"resu')
    })
    // One timer covers the whole call. At 50 ms it sometimes fired before the headers came (a loaded machine is slow
    // to connect), which is the other case (no answer, no status): this test is about a body that stalls after them.
    const api = client(baseUrl, captureLogs(), { timeoutMs: 1000, maxRetries: 3 })
    const error = await apiError(api.messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_TIMEOUT')
    assert.equal(error.status, 200)
    assert.equal(error.retryable, false)
    assert.equal(requests, 1)
  })

  test('an answer cut in the middle of its body → WEIBO_ERR_API_NETWORK, not retried (Weibo already acted)', async (t) => {
    let requests = 0
    const baseUrl = await listen(t, (_request, response) => {
      requests++
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      response.write('{"resu', () => { response.socket?.destroy() })
    })
    const api = client(baseUrl, captureLogs(), { maxRetries: 3 })
    const error = await apiError(api.messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_NETWORK')
    assert.equal(error.status, 200)
    assert.equal(error.retryable, false)
    assert.equal(requests, 1)
  })

  // maxRetries 0: p-retry's backoff timer is unref'd, and here no server keeps the event loop alive during it.
  test('a refused connection → WEIBO_ERR_API_NETWORK, retryable', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    const { port } = server.address() as AddressInfo
    await new Promise((resolve) => { server.close(resolve) })
    const api = client(`http://127.0.0.1:${port}`, captureLogs(), { maxRetries: 0 })
    const error = await apiError(api.messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_NETWORK')
    assert.equal(error.status, undefined)
    assert.equal(error.retryable, true)
  })
})

describe('the access token stays secret', () => {
  test('it never appears in a log line or an error, whatever the failure', async (t) => {
    const { fake, api, logs } = await setup(t, { maxRetries: 1 })
    fanWrites(fake, '1')
    const errors: unknown[] = []
    fake.faults.inject({ kind: 'server-error', status: 500 })
    fake.faults.inject({ kind: 'expired-token' })
    errors.push(await rejection(api.messages.reply({ receiverId: '1', reply: TEXT })))
    fake.faults.inject({ kind: 'drop' }, 2)
    errors.push(await rejection(api.messages.reply({ receiverId: '1', reply: TEXT })))
    fake.faults.inject({ kind: 'server-error', status: 500 })
    fake.faults.inject({ kind: 'server-error', status: 502 })
    errors.push(await rejection(api.messages.reply({ receiverId: '1', reply: TEXT })))
    // The fake never answers a 200 that is not JSON: a scripted server does, to a client logging to the same place.
    const server = await scripted(t, { status: 200, body: 'not json' })
    errors.push(await rejection(client(server.baseUrl, logs, { maxRetries: 1 }).messages.reply({ receiverId: '1', reply: TEXT })))
    // And one that succeeds: the fake accepts only TEST_TOKEN, so this proves the token sent is the real one.
    await api.messages.reply({ receiverId: '1', reply: TEXT })

    assert.equal(fake.calls.length, 7)
    assert.equal(server.bodies.length, 1)
    accepted(fake, 6)
    assert.ok(fake.calls.every((call) => call.params.access_token === '[Redacted]'), 'the token is sent to Weibo (the call log redacts it)')
    assert.equal(new URLSearchParams(server.bodies[0]).get('access_token'), TEST_TOKEN)
    assert.ok(logs.lines().filter((line) => line.level === 40).length >= 3, 'the retries were logged')
    for (const error of errors) {
      assert.ok(error instanceof WeiboApiError)
      assert.ok(!visibleText(error, logs).includes(TEST_TOKEN), `token leaked through ${error.code}`)
    }
    assert.deepEqual(errors.map((error) => (error as WeiboApiError).code),
      ['WEIBO_ERR_API_REJECTED', 'WEIBO_ERR_API_NETWORK', 'WEIBO_ERR_API_HTTP', 'WEIBO_ERR_API_BAD_RESPONSE'])
    assert.ok(!logs.text().includes(TEST_TOKEN))
  })

  test('it travels in the form body, never in the URL (a proxy or access log would keep it)', async (t) => {
    const seen: Array<{ url: string | undefined, body: string }> = []
    const baseUrl = await listen(t, (request, response) => {
      let body = ''
      request.setEncoding('utf8')
      request.on('data', (chunk: string) => { body += chunk })
      request.on('end', () => {
        seen.push({ url: request.url, body })
        response.setHeader('content-type', 'application/json')
        response.end('{"result":true}')
      })
    })
    await client(baseUrl, captureLogs()).messages.reply({ receiverId: '1', reply: TEXT })
    assert.equal(seen.length, 1)
    assert.equal(seen[0]?.url, REPLY_PATH)
    assert.equal(new URLSearchParams(seen[0]?.body).get('access_token'), TEST_TOKEN)
  })
})

describe('Weibo error codes', () => {
  test('every code that needs a rebind is permanent', () => {
    const rebind = Object.entries(WEIBO_ERROR_CODES).filter(([, info]) => info.rebind === true)
    assert.ok(rebind.some(([code]) => code === '21327'))
    for (const [code, info] of rebind) assert.equal(info.retryable, false, code)
  })

  test('transient codes are retryable; unknown codes are permanent and need no rebind', () => {
    for (const code of [10001, 10002, 10003, 10022, 10023, 10024]) assert.equal(describeWeiboErrorCode(code).retryable, true, String(code))
    const unknown = describeWeiboErrorCode(12345)
    assert.equal(unknown.retryable, false)
    assert.notEqual(unknown.rebind, true)
  })

  test('a WeiboApiError without an error_code does not ask for a rebind', () => {
    const error = new WeiboApiError('WEIBO_ERR_API_HTTP', { request: REPLY_PATH, status: 503, retryable: true })
    assert.equal(error.needsRebind, false)
    assert.equal(error.name, 'WeiboApiError')
    assert.match(error.message, /HTTP 503, \/2\/messages\/reply\.json$/)
  })
})

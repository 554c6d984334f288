import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FanbotError, type ErrorCode } from '../../src/errors.ts'
import { createLateReplySender } from '../../src/late-reply.ts'
import type { Message } from '../../src/message-schema.ts'
import { readPush } from '../../src/push-reader.ts'
import type { Reply, ValidReply } from '../../src/reply.ts'
import { createWeiboApiClient, type WeiboApiClient } from '../../src/weibo-api-client.ts'
import { WeiboApiError } from '../../src/weibo-api-error.ts'
import { WEIBO_ERROR_CODES, describeWeiboErrorCode } from '../../src/weibo-error-codes.ts'
import { createWeiboHttp } from '../../src/weibo-http.ts'
import type { FakeWeiboApi } from '../../src/simulator/fake-weibo-api.ts'
import { TEST_TOKEN } from '../helpers/config.ts'
import { captureLogs, type CapturedLogs } from '../helpers/logs.ts'
import { fixture } from '../helpers/push.ts'
import { fanWrites, listenFakeApi, sentData } from '../helpers/simulator-api.ts'

const REPLY_PATH = '/2/messages/reply.json'
/** A 19-digit uid: beyond 2^53, so any trip through a JS number would change its digits. */
const BIG_UID = '9223372036854775807'
const TEXT: ValidReply = { type: 'text', text: 'hello' }

interface ClientOptions {
  baseUrl?: string
  accessToken?: string | null
  maxRetries?: number
  timeoutMs?: number
  saveSenderBox?: boolean
}

interface Setup {
  fake: FakeWeiboApi
  api: WeiboApiClient
  logs: CapturedLogs
}

function client (baseUrl: string, logs: CapturedLogs, options: ClientOptions = {}): WeiboApiClient {
  const http = createWeiboHttp({
    baseUrl,
    accessToken: options.accessToken === null ? undefined : options.accessToken ?? TEST_TOKEN,
    timeoutMs: options.timeoutMs ?? 2000,
    maxRetries: options.maxRetries ?? 3,
    retryMinMs: 1,
    logger: logs.logger
  })
  return createWeiboApiClient({ http, saveSenderBox: options.saveSenderBox ?? true })
}

/**
 * The simulator's fake Weibo API on loopback (closed after the test) and a client pointed at it, logging at debug.
 * The fake enforces reply windows: a test that expects a reply to go through first has the fan write (`fanWrites`).
 */
async function setup (t: TestContext, options: ClientOptions = {}): Promise<Setup> {
  const fake = await listenFakeApi(t)
  const logs = captureLogs('debug')
  return { fake, logs, api: client(fake.baseUrl, logs, options) }
}

/** A bare node:http server on loopback for what the fake cannot do (stall or cut a body, show the raw URL); closed after the test. */
async function listen (t: TestContext, onRequest: RequestListener): Promise<string> {
  const server = createServer(onRequest)
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  t.after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => { server.close(resolve) })
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Awaits `promise`, expecting it to reject; returns the reason. */
async function rejection (promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  assert.fail('expected a rejection')
}

async function apiError (promise: Promise<unknown>, code: ErrorCode): Promise<WeiboApiError> {
  const error = await rejection(promise)
  assert.ok(error instanceof WeiboApiError, `expected a WeiboApiError, got ${String(error)}`)
  assert.ok(error instanceof FanbotError)
  assert.equal(error.code, code)
  return error
}

/** One answer of `scripted`: a string body is sent as HTML, anything else as JSON. */
interface Answer {
  status: number
  body: unknown
}

interface Scripted {
  baseUrl: string
  /** The raw body of each call received, in order. */
  bodies: string[]
}

/**
 * For answers the simulator's fake never gives (it has faults for 5xx pages, drops, delays, 21327, 10023 and 10001
 * on HTTP 500 only): a loopback server answering each call with the next of `answers`, then `{"result":true}`.
 */
async function scripted (t: TestContext, ...answers: Answer[]): Promise<Scripted> {
  const bodies: string[] = []
  const baseUrl = await listen(t, (request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { body += chunk })
    request.on('end', () => {
      bodies.push(body)
      const answer = answers.shift() ?? { status: 200, body: { result: true } }
      const json = typeof answer.body !== 'string'
      response.writeHead(answer.status, { 'content-type': json ? 'application/json' : 'text/html' })
      response.end(json ? JSON.stringify(answer.body) : String(answer.body))
    })
  })
  return { baseUrl, bodies }
}

function weiboError (errorCode: number, status = 400): Answer {
  return { status, body: { request: REPLY_PATH, error_code: errorCode, error: `error ${errorCode}` } }
}

/** What the fake answered to its `index`th call, checking that it accepted it. */
function accepted (fake: FakeWeiboApi, index: number): unknown {
  const call = fake.calls[index]
  assert.equal(call?.status, 200, `call ${index} was refused: ${JSON.stringify(call?.response)}`)
  return call?.response
}

function textMessage (): Message {
  const reading = readPush(fixture('text'))
  if (reading.kind !== 'message') throw new Error('the text fixture should be a message')
  return reading.message
}

/** Everything a user could see about an error: its message, its cause chain, and how pino would log it. */
function visibleText (error: unknown, logs: CapturedLogs): string {
  logs.logger.error({ err: error }, 'call failed')
  const parts: string[] = []
  let current: unknown = error
  while (current !== undefined && parts.length < 10) {
    parts.push(String(current), current instanceof Error ? current.stack ?? '' : '')
    current = current instanceof Error ? current.cause : undefined
  }
  return parts.join('\n') + logs.text()
}

describe('messages.reply: the request', () => {
  test('posts a form to /2/messages/reply.json with the token, exact ids, type and single-encoded JSON data', async (t) => {
    const { fake, api } = await setup(t)
    fanWrites(fake, BIG_UID)
    const answer = await api.messages.reply({ receiverId: BIG_UID, reply: { type: 'text', text: '你好 & a=b+c 100%' } })

    assert.equal(fake.calls.length, 1)
    const [call] = fake.calls
    assert.equal(call?.path, REPLY_PATH)
    // The fake refuses a body that is not a form (10007), a token other than TEST_TOKEN (21332) and `data` that is
    // not JSON after exactly one form decoding, e.g. encoded twice (10008): its acceptance proves all three.
    assert.deepEqual(answer, accepted(fake, 0), 'the client returns Weibo\'s answer')
    assert.equal((answer as { recipient_id?: unknown }).recipient_id, BIG_UID, 'the uid kept every digit both ways')
    assert.equal(call?.params.access_token, '[Redacted]', 'the token was sent (the call log redacts it)')
    assert.equal(call?.params.receiver_id, BIG_UID)
    assert.equal(call?.params.type, 'text')
    assert.deepEqual(sentData(call), { text: '你好 & a=b+c 100%' })
  })

  test('articles and position replies carry their payloads', async (t) => {
    const { fake, api } = await setup(t)
    fanWrites(fake, '2489518277')
    const article = { display_name: '两个故事', summary: '今天讲两个故事', image: 'http://example.com/a.jpg', url: 'http://example.com/a?x=1&y=2' }
    await api.messages.reply({ receiverId: '2489518277', reply: { type: 'articles', articles: [article] } })
    await api.messages.reply({ receiverId: '2489518277', reply: { type: 'position', longitude: '116.308586', latitude: '39.982525' } })

    accepted(fake, 0)
    accepted(fake, 1)
    assert.equal(fake.calls[0]?.params.type, 'articles')
    assert.deepEqual(sentData(fake.calls[0]), { articles: [article] })
    assert.equal(fake.calls[1]?.params.type, 'position')
    assert.deepEqual(sentData(fake.calls[1]), { longitude: '116.308586', latitude: '39.982525' })
  })

  test('the reply is validated before sending: position numbers go out as strings', async (t) => {
    const { fake, api } = await setup(t)
    fanWrites(fake, '1')
    await api.messages.reply({ receiverId: '1', reply: { type: 'position', longitude: 116.308586, latitude: -39.5 } })
    accepted(fake, 0) // the fake refuses coordinates that are not decimal strings (10008)
    assert.deepEqual(sentData(fake.calls[0]), { longitude: '116.308586', latitude: '-39.5' })
  })

  test('an invalid reply → WEIBO_ERR_REPLY_INVALID and no call is made', async (t) => {
    const { fake, api } = await setup(t)
    const invalid: Reply[] = [{ type: 'text', text: '字'.repeat(301) }, { type: 'text', text: '' }, { type: 'articles', articles: [] }]
    for (const reply of invalid) {
      const error = await rejection(api.messages.reply({ receiverId: '1', reply }))
      assert.ok(error instanceof FanbotError)
      assert.equal(error.code, 'WEIBO_ERR_REPLY_INVALID')
    }
    assert.equal(fake.calls.length, 0)
  })

  test('save_sender_box follows the client default, and a per-call option overrides it', async (t) => {
    const on = await setup(t, { saveSenderBox: true })
    fanWrites(on.fake, '1')
    await on.api.messages.reply({ receiverId: '1', reply: TEXT })
    await on.api.messages.reply({ receiverId: '1', reply: TEXT, saveSenderBox: false })
    assert.deepEqual(on.fake.calls.map((c) => c.params.save_sender_box), ['1', '0'])

    const off = await setup(t, { saveSenderBox: false })
    fanWrites(off.fake, '1')
    await off.api.messages.reply({ receiverId: '1', reply: TEXT })
    await off.api.messages.reply({ receiverId: '1', reply: TEXT, saveSenderBox: true })
    assert.deepEqual(off.fake.calls.map((c) => c.params.save_sender_box), ['0', '1'])
  })

  test('hasToken reflects whether a token was given', async (t) => {
    const withToken = await setup(t)
    const withoutToken = await setup(t, { accessToken: null })
    assert.equal(withToken.api.hasToken, true)
    assert.equal(withoutToken.api.hasToken, false)
  })

  test('no token → FanbotError WEIBO_ERR_API_TOKEN_MISSING and no call is made', async (t) => {
    const { fake, api } = await setup(t, { accessToken: null })
    const error = await rejection(api.messages.reply({ receiverId: '1', reply: TEXT }))
    assert.ok(error instanceof FanbotError)
    assert.equal(error.code, 'WEIBO_ERR_API_TOKEN_MISSING')
    assert.match(error.message, /messages\/reply\.json/)
    assert.equal(fake.calls.length, 0)
  })
})

describe('messages.reply: retries', () => {
  test('an HTTP 500 then success → retried once, resolves, 2 calls, the retry logged', async (t) => {
    const { fake, api, logs } = await setup(t)
    fanWrites(fake, '1')
    fake.faults.inject({ kind: 'server-error', status: 500 })
    const answer = await api.messages.reply({ receiverId: '1', reply: TEXT })
    assert.equal(fake.calls.length, 2)
    assert.deepEqual(answer, accepted(fake, 1))
    assert.deepEqual(fake.calls[1]?.params, fake.calls[0]?.params, 'the retry sends the same request')
    const warn = logs.lines().find((line) => line.level === 40)
    assert.equal((warn?.api as { request?: unknown, status?: unknown } | undefined)?.request, REPLY_PATH)
    assert.equal((warn?.api as { status?: unknown } | undefined)?.status, 500)
  })

  // The fake's faults have no 429 (its rate limit is Weibo's 10023 on HTTP 403): a scripted server plays it.
  test('an HTTP 429 then success → retried', async (t) => {
    const server = await scripted(t, { status: 429, body: {} })
    await client(server.baseUrl, captureLogs()).messages.reply({ receiverId: '1', reply: TEXT })
    assert.equal(server.bodies.length, 2)
  })

  test('Weibo error 10001 (system error) then success → retried', async (t) => {
    const { fake, api } = await setup(t)
    fanWrites(fake, '1')
    fake.faults.inject({ kind: 'system-error' })
    const answer = await api.messages.reply({ receiverId: '1', reply: TEXT })
    assert.equal(fake.calls.length, 2)
    assert.deepEqual(answer, accepted(fake, 1))
  })

  // The fake sends 10001 on HTTP 500 only; on HTTP 200 it is still an error, never taken for the answer.
  test('Weibo error 10001 on HTTP 200 then success → retried, not returned as the answer', async (t) => {
    const server = await scripted(t, weiboError(10001, 200))
    assert.deepEqual(await client(server.baseUrl, captureLogs()).messages.reply({ receiverId: '1', reply: TEXT }), { result: true })
    assert.equal(server.bodies.length, 2)
  })

  test('a dropped connection then success → retried', async (t) => {
    const { fake, api } = await setup(t)
    fanWrites(fake, '1')
    fake.faults.inject({ kind: 'drop' })
    const answer = await api.messages.reply({ receiverId: '1', reply: TEXT })
    assert.equal(fake.calls.length, 2)
    assert.deepEqual(answer, accepted(fake, 1))
  })

  test('retries are bounded by maxRetries: always 500 → maxRetries + 1 calls, then WEIBO_ERR_API_HTTP', async (t) => {
    const { fake, api } = await setup(t, { maxRetries: 2 })
    fanWrites(fake, '1')
    fake.faults.inject({ kind: 'server-error', status: 500 }, 3)
    const error = await apiError(api.messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_HTTP')
    assert.equal(error.status, 500)
    assert.equal(error.request, REPLY_PATH)
    assert.equal(fake.calls.length, 3)
  })

  test('maxRetries 0 → a single call', async (t) => {
    const { fake, api } = await setup(t, { maxRetries: 0 })
    fanWrites(fake, '1')
    fake.faults.inject({ kind: 'server-error', status: 503 })
    await apiError(api.messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_HTTP')
    assert.equal(fake.calls.length, 1)
  })

  test('a dropped connection every time → WEIBO_ERR_API_NETWORK after maxRetries + 1 calls', async (t) => {
    const { fake, api } = await setup(t, { maxRetries: 1 })
    fanWrites(fake, '1')
    fake.faults.inject({ kind: 'drop' }, 2)
    const error = await apiError(api.messages.reply({ receiverId: '1', reply: TEXT }), 'WEIBO_ERR_API_NETWORK')
    assert.equal(error.retryable, true)
    assert.equal(fake.calls.length, 2)
  })
})

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
    const api = client(baseUrl, captureLogs(), { timeoutMs: 50, maxRetries: 3 })

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
    const api = client(baseUrl, captureLogs(), { timeoutMs: 50, maxRetries: 3 })
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

describe('late reply', () => {
  const late = (message: Message): Parameters<ReturnType<typeof createLateReplySender>['send']>[0] =>
    ({ message, reply: { type: 'text', text: 'sorry for the wait' }, handler: 'slow-handler', dedupKey: 'key-1' })

  test('sends the reply once to the fan through messages/reply, and logs it', async (t) => {
    const { fake, api, logs } = await setup(t)
    const sender = createLateReplySender({ api, logger: logs.logger })
    const message = textMessage()
    fanWrites(fake, message.sender_id)
    await sender.send(late(message))

    assert.equal(fake.calls.length, 1)
    assert.equal(fake.calls[0]?.path, REPLY_PATH)
    accepted(fake, 0)
    assert.equal(fake.calls[0]?.params.receiver_id, message.sender_id)
    assert.deepEqual(sentData(fake.calls[0]), { text: 'sorry for the wait' })
    const line = logs.lines().find((l) => l.msg === 'late reply sent')
    const facts = line?.lateReply as Record<string, unknown> | undefined
    assert.equal(facts?.handler, 'slow-handler')
    assert.equal(facts?.dedupKey, 'key-1')
    assert.equal(facts?.receiverId, message.sender_id)
    assert.equal(typeof facts?.durationMs, 'number')
  })

  test('without a token it logs a dry run and makes no call', async (t) => {
    const { fake, api, logs } = await setup(t, { accessToken: null })
    const sender = createLateReplySender({ api, logger: logs.logger })
    await sender.send(late(textMessage()))

    assert.equal(fake.calls.length, 0)
    const line = logs.lines().find((l) => (l.lateReply as { dryRun?: unknown } | undefined)?.dryRun === true)
    assert.ok(line !== undefined, logs.text())
    assert.equal(line.level, 30)
    assert.deepEqual((line.lateReply as { reply?: unknown }).reply, { type: 'text', text: 'sorry for the wait' })
  })

  test('an expired token is logged with its errorCode and the rebind hint; send() does not reject', async (t) => {
    const { fake, api, logs } = await setup(t)
    fanWrites(fake, textMessage().sender_id)
    fake.faults.inject({ kind: 'expired-token' })
    const sender = createLateReplySender({ api, logger: logs.logger })
    await sender.send(late(textMessage()))

    assert.equal(fake.calls.length, 1)
    const line = logs.lines().find((l) => l.level === 50)
    const facts = line?.lateReply as Record<string, unknown> | undefined
    assert.equal(facts?.errorCode, 21327)
    assert.equal(facts?.code, 'WEIBO_ERR_API_REJECTED')
    assert.equal(facts?.needsRebind, true)
    assert.equal(facts?.handler, 'slow-handler')
    assert.match(String(line?.msg), /bind the callback URL again/)
    assert.ok(!logs.text().includes(TEST_TOKEN))
  })

  test('another permanent error is logged as a plain failure with its errorCode', async (t) => {
    const { fake, api, logs } = await setup(t) // the fan never wrote: Weibo refuses with 20301
    const sender = createLateReplySender({ api, logger: logs.logger })
    await sender.send(late(textMessage()))

    assert.equal(fake.calls.length, 1)
    const line = logs.lines().find((l) => l.level === 50)
    assert.equal((line?.lateReply as { errorCode?: unknown } | undefined)?.errorCode, 20301)
    assert.equal(line?.msg, 'late reply failed')
  })

  test('a transient failure is retried and the late reply still goes out once', async (t) => {
    const { fake, api, logs } = await setup(t)
    fanWrites(fake, textMessage().sender_id)
    fake.faults.inject({ kind: 'server-error', status: 502 })
    await createLateReplySender({ api, logger: logs.logger }).send(late(textMessage()))
    assert.equal(fake.calls.length, 2)
    accepted(fake, 1)
    assert.ok(logs.lines().some((l) => l.msg === 'late reply sent'))
    assert.ok(!logs.lines().some((l) => l.level === 50))
  })

  test('a network failure does not reject either', async () => {
    const logs = captureLogs()
    const api = client('http://127.0.0.1:9', logs, { maxRetries: 0 })
    await createLateReplySender({ api, logger: logs.logger }).send(late(textMessage()))
    const line = logs.lines().find((l) => l.level === 50)
    assert.equal((line?.lateReply as { code?: unknown } | undefined)?.code, 'WEIBO_ERR_API_NETWORK')
  })
})

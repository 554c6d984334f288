import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { describe, test, type TestContext } from 'node:test'
import { buildApp } from '../../src/app.ts'
import { text } from '../../src/index.ts'
import { deliverPush, verifyCallbackUrl } from '../../src/simulator/callback-client.ts'
import { makePush, pushToJson } from '../../src/simulator/push-factory.ts'
import { TEST_SECRET, testConfig } from '../helpers/config.ts'
import { freePort } from '../helpers/ports.ts'

async function listen (t: TestContext, handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { server.closeAllConnections(); server.close() })
  const address = server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/weibo`
}

/** A loopback URL where nothing listens (a port just freed). */
async function deadUrl (): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/weibo`
}

async function realServer (t: TestContext, handle: () => ReturnType<typeof text> | undefined): Promise<string> {
  const app = await buildApp({ config: testConfig(), handlers: [{ on: '*', handle }] })
  t.after(async () => { await app.close() })
  return `${await app.listen({ host: '127.0.0.1', port: 0 })}/weibo`
}

describe('deliverPush: Weibo\'s side of a push', () => {
  test('a signed push to the real server comes back as a decoded passive reply in one try', async (t) => {
    const url = await realServer(t, () => text('你好呀'))
    const result = await deliverPush({ url, secret: TEST_SECRET, body: pushToJson(makePush({ type: 'text' })) })
    assert.equal(result.outcome, 'passive')
    assert.equal(result.tries.length, 1)
    assert.equal(result.tries[0]?.status, 200)
    assert.deepEqual(result.reply?.data, { text: '你好呀' })
    assert.equal(result.reply?.receiverId, '2489518277')
  })

  test('a blank answer is "blank"; a wrong secret is "rejected" with the reason, in one try', async (t) => {
    const url = await realServer(t, () => undefined)
    assert.equal((await deliverPush({ url, secret: TEST_SECRET, body: pushToJson(makePush({ type: 'text' })) })).outcome, 'blank')
    const forged = await deliverPush({ url, secret: 'wrong', body: pushToJson(makePush({ type: 'text' })) })
    assert.equal(forged.outcome, 'rejected')
    assert.equal(forged.tries.length, 1)
    assert.match(String(forged.problem), /HTTP 401/)
  })

  test('no answer within the wait: tries again with a fresh timestamp and nonce, 3 tries in all', async (t) => {
    const seen: string[] = []
    const url = await listen(t, (request) => { seen.push(request.url ?? '') }) // never answers
    const result = await deliverPush({ url, secret: TEST_SECRET, body: '{}', waitMs: 50 })
    assert.equal(result.outcome, 'unanswered')
    assert.deepEqual(result.tries.map((attempt) => attempt.error), ['timeout', 'timeout', 'timeout'])
    // Each try signed afresh: read from the tries themselves. The server may not see the last one: on a loaded
    // machine a 50 ms wait can end before the request is even written (the old assertion, on what the server saw,
    // failed so under load).
    assert.equal(new Set(result.tries.map((attempt) => attempt.nonce)).size, 3)
    assert.ok(seen.length >= 1 && seen.every((url) => result.tries.some((attempt) => url.includes(`nonce=${attempt.nonce ?? ''}`))), 'what the server saw were those tries')
    assert.ok((result.tries[2]?.startedAtMs ?? 0) >= 100)
  })

  test('a 5xx is tried again; an answer on a later try ends it', async (t) => {
    let calls = 0
    const url = await listen(t, (_request, response) => {
      calls++
      if (calls === 1) response.writeHead(502).end('bad gateway')
      else response.writeHead(200).end('')
    })
    const result = await deliverPush({ url, secret: TEST_SECRET, body: '{}' })
    assert.equal(result.outcome, 'blank')
    assert.deepEqual(result.tries.map((attempt) => attempt.status), [502, 200])
  })

  test('a 200 body that is not a passive reply is "rejected" and says why', async (t) => {
    const url = await listen(t, (_request, response) => { response.writeHead(200).end('{"type":"text","data":"not-encoded-json"}') })
    const result = await deliverPush({ url, secret: TEST_SECRET, body: '{}' })
    assert.equal(result.outcome, 'rejected')
    assert.match(String(result.problem), /does not URL-decode to JSON/)
  })

  test('a refused connection is recorded on every try', async () => {
    const result = await deliverPush({ url: await deadUrl(), secret: TEST_SECRET, body: '{}', waitMs: 500 })
    assert.equal(result.outcome, 'unanswered')
    assert.equal(result.tries.length, 3)
    assert.match(String(result.tries[0]?.error), /ECONNREFUSED/)
  })
})

describe('verifyCallbackUrl: the binding handshake', () => {
  test('succeeds against the real server with the right secret', async (t) => {
    const url = await realServer(t, () => undefined)
    const result = await verifyCallbackUrl({ url, secret: TEST_SECRET })
    assert.equal(result.ok, true)
  })

  test('explains each way it fails', async (t) => {
    const url = await realServer(t, () => undefined)
    assert.match((await verifyCallbackUrl({ url, secret: 'wrong' })).explanation, /WEIBO_APP_SECRET on the server and --secret here must be the same/)
    assert.match((await verifyCallbackUrl({ url: url.replace('/weibo', '/nope'), secret: TEST_SECRET })).explanation, /CALLBACK_PATH/)
    assert.match((await verifyCallbackUrl({ url: await deadUrl(), secret: TEST_SECRET })).explanation, /could not connect/)
    const silent = await listen(t, () => {})
    assert.match((await verifyCallbackUrl({ url: silent, secret: TEST_SECRET, waitMs: 50 })).explanation, /no answer within 50 ms/)
    const wrongEcho = await listen(t, (_request, response) => { response.writeHead(200).end('ok') })
    assert.match((await verifyCallbackUrl({ url: wrongEcho, secret: TEST_SECRET })).explanation, /expected HTTP 200 with the body/)
  })
})

import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { describe, test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { text } from '../src/index.ts'
import { startTestApp } from './helpers/app.ts'
import type { CapturedLogs } from './helpers/logs.ts'
import { fixture, fixtureWith, sendPush, signedQuery } from './helpers/push.ts'

const REQUEST_TIMEOUT_MS = 1000

async function listening (t: TestContext, env: Record<string, string> = {}): Promise<{ app: FastifyInstance, port: number, runs: () => number, logs: CapturedLogs }> {
  let runs = 0
  const { app, logs } = await startTestApp(t, {
    handlers: [{ on: 'text', handle: (message) => { runs++; return text(`got ${message.text}`) } }],
    env: { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), ...env }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  assert.ok(address !== null && typeof address === 'object')
  return { app, port: address.port, runs: () => runs, logs }
}

interface RawClient { socket: Socket, received: () => string, closed: Promise<number> }

/** A raw TCP client: the test writes exactly the bytes it wants, when it wants. */
function rawClient (t: TestContext, port: number): RawClient {
  const socket = connect({ port, host: '127.0.0.1' })
  t.after(() => { socket.destroy() })
  let received = ''
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('utf8') })
  socket.on('error', () => {})
  const started = performance.now()
  const closed = new Promise<number>((resolve) => { socket.once('close', () => { resolve(performance.now() - started) }) })
  return { socket, received: () => received, closed }
}

function postHead (query: string, contentLength: number): string {
  return `POST /weibo?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`
}

describe('request limits on a listening server', () => {
  test('a signed push that declares 60000 bytes and sends nothing is cut off within REQUEST_TIMEOUT_MS; others are answered', { timeout: 10_000 }, async (t) => {
    const { port } = await listening(t)
    const stalled = rawClient(t, port)
    stalled.socket.write(postHead(signedQuery(), 60_000))
    // Meanwhile Weibo's ordinary pushes are answered at once.
    for (let index = 0; index < 3; index++) {
      const response = await fetch(`http://127.0.0.1:${port}/weibo?${signedQuery()}`, { method: 'POST', body: fixtureWith('text', { text: `n${index}` }) })
      assert.equal(response.status, 200)
    }
    const closedAfter = await stalled.closed
    assert.ok(closedAfter < REQUEST_TIMEOUT_MS + 1500, `closed after ${Math.round(closedAfter)} ms`)
  })

  test('a signed push trickling its body a byte at a time is cut off near REQUEST_TIMEOUT_MS with 408', { timeout: 10_000 }, async (t) => {
    const { port, runs } = await listening(t)
    const slow = rawClient(t, port)
    slow.socket.write(postHead(signedQuery(), 60_000))
    const trickle = setInterval(() => { if (!slow.socket.destroyed) slow.socket.write(' ') }, 100)
    t.after(() => { clearInterval(trickle) })
    const closedAfter = await slow.closed
    clearInterval(trickle)
    assert.ok(closedAfter < REQUEST_TIMEOUT_MS + 1500, `closed after ${Math.round(closedAfter)} ms`)
    assert.match(slow.received(), /^HTTP\/1\.1 408 /)
    assert.equal(runs(), 0)
  })

  test('an unsigned client trickling bytes after its 401 has its socket closed', { timeout: 10_000 }, async (t) => {
    const { port } = await listening(t, { REQUEST_TIMEOUT_MS: '60000' })
    const client = rawClient(t, port)
    client.socket.write(postHead('signature=forged&timestamp=1&nonce=2', 60_000))
    const trickle = setInterval(() => { if (!client.socket.destroyed) client.socket.write(' ') }, 50)
    t.after(() => { clearInterval(trickle) })
    const closedAfter = await client.closed
    clearInterval(trickle)
    assert.match(client.received(), /^HTTP\/1\.1 401 /)
    assert.match(client.received(), /connection: close/i)
    assert.ok(closedAfter < 2000, `closed after ${Math.round(closedAfter)} ms (the request timeout is 60 s)`)
  })

  test('the limits are the configured ones (connection cap, keep-alive, per-socket requests)', async (t) => {
    const { app } = await listening(t, { MAX_CONNECTIONS: '7', KEEP_ALIVE_TIMEOUT_MS: '65000', MAX_REQUESTS_PER_SOCKET: '50' })
    assert.equal(app.server.maxConnections, 7)
    assert.equal(app.server.keepAliveTimeout, 65_000)
    assert.equal(app.server.maxRequestsPerSocket, 50)
    assert.equal(app.server.requestTimeout, REQUEST_TIMEOUT_MS)
    assert.equal(app.server.headersTimeout, REQUEST_TIMEOUT_MS)
  })

  test('past MAX_CONNECTIONS a new connection is closed, and served again once one is free', { timeout: 10_000 }, async (t) => {
    const { port } = await listening(t, { MAX_CONNECTIONS: '1' })
    const first = rawClient(t, port)
    await new Promise((resolve) => first.socket.once('connect', resolve))
    await new Promise((resolve) => setTimeout(resolve, 50))
    const second = rawClient(t, port)
    second.socket.write(postHead(signedQuery(), 2))
    await second.closed
    assert.equal(second.received(), '', 'dropped without an answer')
    first.socket.destroy()
    await first.closed
    await new Promise((resolve) => setTimeout(resolve, 50))
    const response = await fetch(`http://127.0.0.1:${port}/weibo?${signedQuery()}`, { method: 'POST', body: fixture('text') })
    assert.equal(response.status, 200)
  })
})

describe('Content-Type never decides the answer', () => {
  const values = [
    'application/json charset=UTF-8', ';', 'json', '', 'application/json, text/plain', 'x'.repeat(8000),
    'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=gbk', 'multipart/form-data; boundary=x',
    '*/*', 'application/json;;;', '\t'
  ]
  for (const contentType of values) {
    test(`a valid signed push with Content-Type ${JSON.stringify(contentType.slice(0, 40))} is handled`, async (t) => {
      let runs = 0
      const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => { runs++; return text('ok') } }] })
      const response = await sendPush(app, fixture('text'), { contentType })
      assert.equal(response.statusCode, 200, response.body)
      assert.equal(runs, 1)
    })
  }

  test('a valid push without any Content-Type header is handled', async (t) => {
    let runs = 0
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => { runs++; return text('ok') } }] })
    const response = await app.inject({ method: 'POST', url: `/weibo?${signedQuery()}`, payload: fixture('text'), headers: { 'content-type': undefined } })
    assert.equal(response.statusCode, 200)
    assert.equal(runs, 1)
  })
})

describe('body framing', () => {
  test('a Content-Length that does not match the body is a 400 with our code, not a 500', async (t) => {
    const { app } = await startTestApp(t, { handlers: [] })
    for (const length of ['5', '-1']) {
      const response = await app.inject({ method: 'POST', url: `/weibo?${signedQuery()}`, payload: fixture('text'), headers: { 'content-length': length } })
      assert.equal(response.statusCode, 400, length)
      assert.equal(response.json<{ code: string }>().code, 'WEIBO_ERR_REQUEST_INVALID')
    }
  })
})

describe('answers that echo nothing', () => {
  test('a 404 does not echo the query string (signature included)', async (t) => {
    const { app } = await startTestApp(t, { handlers: [] })
    for (const method of ['GET', 'POST', 'PUT', 'DELETE'] as const) {
      const query = signedQuery()
      const withBody = method === 'POST' || method === 'PUT'
      const response = await app.inject({ method, url: `/weibo-typo?${query}`, ...(withBody ? { payload: '{"a":1}', headers: { 'content-type': 'bogus value' } } : {}) })
      assert.equal(response.statusCode, 404)
      assert.deepEqual(response.json(), { code: 'WEIBO_ERR_NOT_FOUND', message: response.json<{ message: string }>().message })
      const signature = new URLSearchParams(query).get('signature') ?? ''
      assert.doesNotMatch(response.body, new RegExp(signature))
      assert.doesNotMatch(response.body, /weibo-typo/)
    }
  })

  test('a malformed URL gets 400 WEIBO_ERR_REQUEST_INVALID without echoing it', async (t) => {
    const { app } = await startTestApp(t, { handlers: [] })
    const response = await app.inject({ method: 'GET', url: '/we%ibo?secret-looking' })
    assert.ok(response.statusCode < 500)
    assert.doesNotMatch(response.body, /secret-looking|we%ibo/)
  })

  test('the echoed echostr is sent with X-Content-Type-Options: nosniff', async (t) => {
    const { app } = await startTestApp(t, { handlers: [] })
    const response = await app.inject({ method: 'GET', url: `/weibo?${signedQuery({ echostr: '<script>alert(1)</script>' })}` })
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['x-content-type-options'], 'nosniff')
    assert.match(String(response.headers['content-type']), /^text\/plain/)
  })
})

describe('a client that aborts mid-body', () => {
  test('is logged at debug level, not as an unexpected error', async (t) => {
    const { port, logs } = await listening(t)
    const client = rawClient(t, port)
    client.socket.write(postHead(signedQuery(), 1000) + '{"type":"te')
    await new Promise((resolve) => setTimeout(resolve, 100))
    client.socket.destroy()
    await client.closed
    await new Promise((resolve) => setTimeout(resolve, 100))
    const lines = logs.lines()
    assert.deepEqual(lines.filter((line) => Number(line.level) >= 50).map((line) => line.msg), [])
    assert.ok(lines.some((line) => line.level === 20 && String(line.msg).startsWith('client closed the connection')), JSON.stringify(lines))
  })
})

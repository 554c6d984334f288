import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { computeSignature } from '../../src/signature.ts'
import { startTestApp } from '../helpers/app.ts'
import { TEST_SECRET } from '../helpers/config.ts'
import { fixture, fixtureWith, sendPush, signedQuery } from '../helpers/push.ts'
import { text, type Handler, type Trigger } from '../../src/index.ts'

function countingHandler (): { handler: Handler<Trigger>, runs: () => number } {
  let runs = 0
  return { handler: { on: '*', handle: () => { runs++; return text('ok') } }, runs: () => runs }
}

describe('GET callback: URL verification handshake', () => {
  test('echoes echostr as text/plain when the signature is right', async (t) => {
    const { app } = await startTestApp(t, { handlers: [] })
    const response = await app.inject({ method: 'GET', url: `/weibo?${signedQuery({ echostr: 'dnPdpTZz85' })}` })
    assert.equal(response.statusCode, 200)
    assert.equal(response.body, 'dnPdpTZz85')
    assert.match(String(response.headers['content-type']), /^text\/plain/)
  })

  test('accepts the protocol reference sample URL (13-digit millisecond timestamp)', async (t) => {
    const { app } = await startTestApp(t, { handlers: [], env: { WEIBO_APP_SECRET: 'xyz123xyz' } })
    const response = await app.inject({
      method: 'GET',
      url: '/weibo?nonce=57155157&timestamp=1397022061823&echostr=dnPdpTZz85&signature=90e4c22c90a58f26526c2dd5b6c56c8822edeaa1'
    })
    assert.equal(response.statusCode, 200)
    assert.equal(response.body, 'dnPdpTZz85')
  })

  test('a wrong signature gets 401 and no echo', async (t) => {
    const { app, logs } = await startTestApp(t, { handlers: [] })
    const response = await app.inject({ method: 'GET', url: `/weibo?${signedQuery({ secret: 'not-the-secret', echostr: 'SECRET_ECHO' })}` })
    assert.equal(response.statusCode, 401)
    assert.doesNotMatch(response.body, /SECRET_ECHO/)
    assert.equal(JSON.parse(response.body).code, 'WEIBO_ERR_SIGNATURE_INVALID')
    assert.ok(logs.lines().some((line) => (line.verify as { code?: string } | undefined)?.code === 'WEIBO_ERR_SIGNATURE_INVALID'))
  })

  test('missing signature, timestamp or nonce gets 401', async (t) => {
    const { app } = await startTestApp(t, { handlers: [] })
    for (const url of ['/weibo?echostr=x', '/weibo?echostr=x&timestamp=1&nonce=2', '/weibo?echostr=x&signature=abc&nonce=2']) {
      const response = await app.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 401, url)
      assert.equal(JSON.parse(response.body).code, 'WEIBO_ERR_SIGNATURE_MISSING')
    }
  })

  test('a signed request without echostr gets 400', async (t) => {
    const { app } = await startTestApp(t, { handlers: [] })
    const response = await app.inject({ method: 'GET', url: `/weibo?${signedQuery()}` })
    assert.equal(response.statusCode, 400)
    assert.equal(JSON.parse(response.body).code, 'WEIBO_ERR_VERIFY_ECHOSTR_MISSING')
  })

  test('with WEIBO_APP_SECRET unset, verification is off and the echo is given', async (t) => {
    const { app } = await startTestApp(t, { handlers: [], env: { WEIBO_APP_SECRET: undefined } })
    const response = await app.inject({ method: 'GET', url: '/weibo?echostr=hello' })
    assert.equal(response.body, 'hello')
  })

  test('CALLBACK_PATH moves the route', async (t) => {
    const { app } = await startTestApp(t, { handlers: [], env: { CALLBACK_PATH: '/hooks/weibo' } })
    assert.equal((await app.inject({ method: 'GET', url: `/hooks/weibo?${signedQuery({ echostr: 'e' })}` })).body, 'e')
    assert.equal((await app.inject({ method: 'GET', url: `/weibo?${signedQuery({ echostr: 'e' })}` })).statusCode, 404)
  })
})

describe('POST callback: signed pushes only', () => {
  test('an unsigned push gets 401 and the handler never runs', async (t) => {
    const counter = countingHandler()
    const { app } = await startTestApp(t, { handlers: [counter.handler] })
    const response = await app.inject({ method: 'POST', url: '/weibo', payload: fixture('text') })
    assert.equal(response.statusCode, 401)
    assert.equal(counter.runs(), 0)
  })

  test('a forged push (wrong secret, or signature of other values) gets 401 and the handler never runs', async (t) => {
    const counter = countingHandler()
    const { app } = await startTestApp(t, { handlers: [counter.handler] })
    assert.equal((await sendPush(app, fixture('text'), { secret: 'attacker-guess' })).statusCode, 401)
    const signature = computeSignature({ secret: TEST_SECRET, timestamp: '1', nonce: '2' })
    const replayed = await app.inject({ method: 'POST', url: `/weibo?signature=${signature}&timestamp=1&nonce=3`, payload: fixture('text') })
    assert.equal(replayed.statusCode, 401)
    assert.equal(counter.runs(), 0)
  })

  test('a forged push with a malformed body is refused as forged, before its body is read', async (t) => {
    const { app } = await startTestApp(t, { handlers: [] })
    const response = await app.inject({ method: 'POST', url: `/weibo?${signedQuery({ secret: 'x' })}`, payload: '{not json' })
    assert.equal(response.statusCode, 401)
  })

  for (const contentType of ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
    test(`reads the body as JSON whatever the Content-Type says (${contentType})`, async (t) => {
      const counter = countingHandler()
      const { app } = await startTestApp(t, { handlers: [counter.handler] })
      const response = await sendPush(app, fixture('text'), { contentType })
      assert.equal(response.statusCode, 200)
      assert.equal(counter.runs(), 1)
    })
  }

  test('reads the body when no Content-Type header is sent at all', async (t) => {
    const counter = countingHandler()
    const { app } = await startTestApp(t, { handlers: [counter.handler] })
    const response = await app.inject({ method: 'POST', url: `/weibo?${signedQuery()}`, payload: Buffer.from(fixture('text')) })
    assert.equal(response.statusCode, 200)
    assert.equal(counter.runs(), 1)
  })
})

describe('POST callback: bad bodies', () => {
  test('malformed JSON gets 400 WEIBO_ERR_PUSH_MALFORMED_JSON and is logged as rejected', async (t) => {
    const { app, logs } = await startTestApp(t, { handlers: [] })
    const response = await sendPush(app, '{"type":"text",')
    assert.equal(response.statusCode, 400)
    assert.equal(JSON.parse(response.body).code, 'WEIBO_ERR_PUSH_MALFORMED_JSON')
    const line = logs.lines().find((entry) => (entry.push as { outcome?: string } | undefined)?.outcome === 'rejected')
    assert.equal((line?.push as { code?: string }).code, 'WEIBO_ERR_PUSH_MALFORMED_JSON')
  })

  test('an empty body gets 400', async (t) => {
    const { app } = await startTestApp(t, { handlers: [] })
    assert.equal((await sendPush(app, '')).statusCode, 400)
  })

  for (const field of ['type', 'sender_id', 'receiver_id', 'created_at']) {
    test(`a push without ${field} gets 400 naming the field`, async (t) => {
      const counter = countingHandler()
      const { app } = await startTestApp(t, { handlers: [counter.handler] })
      const body = JSON.parse(fixture('text')) as Record<string, unknown>
      delete body[field]
      const response = await sendPush(app, JSON.stringify(body))
      assert.equal(response.statusCode, 400)
      const error = JSON.parse(response.body) as { code: string, message: string }
      assert.equal(error.code, 'WEIBO_ERR_PUSH_INVALID')
      assert.match(error.message, new RegExp(field))
      assert.equal(counter.runs(), 0)
    })
  }

  test('a body over BODY_LIMIT_BYTES gets 413', async (t) => {
    const counter = countingHandler()
    const { app } = await startTestApp(t, { handlers: [counter.handler], env: { BODY_LIMIT_BYTES: '1024' } })
    const response = await sendPush(app, fixtureWith('text', { text: 'x'.repeat(2000) }))
    assert.equal(response.statusCode, 413)
    assert.equal(JSON.parse(response.body).code, 'WEIBO_ERR_PUSH_TOO_LARGE')
    assert.equal(counter.runs(), 0)
  })

  test('an unknown type gets 200 with an empty body, logged once per type', async (t) => {
    const counter = countingHandler()
    const { app, logs } = await startTestApp(t, { handlers: [counter.handler] })
    for (const second of ['01', '02', '03']) {
      const response = await sendPush(app, fixtureWith('text', { type: 'gift', created_at: `Mon Jul 16 18:10:${second} +0800 2012` }))
      assert.equal(response.statusCode, 200)
      assert.equal(response.body, '')
    }
    await sendPush(app, fixtureWith('event-follow', { data: { subtype: 'like' } }))
    assert.equal(counter.runs(), 0)
    const warnings = logs.lines().filter((line) => String(line.msg).startsWith('ignoring pushes of unknown type'))
    assert.deepEqual(warnings.map((line) => line.msg), [
      'ignoring pushes of unknown type gift (logged once per type)',
      'ignoring pushes of unknown type event:like (logged once per type)'
    ])
  })
})

describe('optional freshness window on the signed timestamp (SIGNATURE_MAX_AGE_MS)', () => {
  const NOW = 1_797_000_000_000
  const env = { SIGNATURE_MAX_AGE_MS: '60000' }

  test('off by default: an old timestamp with a valid signature is accepted', async (t) => {
    const { app } = await startTestApp(t, { handlers: [], now: () => NOW })
    const response = await app.inject({ method: 'GET', url: `/weibo?${signedQuery({ echostr: 'e', timestamp: '1397022061823' })}` })
    assert.equal(response.body, 'e')
  })

  test('a timestamp within the window is accepted, in milliseconds or in seconds', async (t) => {
    const { app } = await startTestApp(t, { handlers: [], env, now: () => NOW })
    for (const timestamp of [String(NOW - 59_000), String(NOW + 30_000), String(Math.floor(NOW / 1000) - 10)]) {
      const response = await app.inject({ method: 'GET', url: `/weibo?${signedQuery({ echostr: 'e', timestamp })}` })
      assert.equal(response.body, 'e', timestamp)
    }
  })

  test('a validly signed push outside the window, or with a timestamp that is not one, gets 401 and no handler run', async (t) => {
    let runs = 0
    const { app } = await startTestApp(t, { handlers: [{ on: '*', handle: () => { runs++ } }], env, now: () => NOW })
    for (const timestamp of [String(NOW - 61_000), String(NOW + 61_000), 'yesterday', '12345']) {
      const response = await app.inject({ method: 'POST', url: `/weibo?${signedQuery({ timestamp })}`, payload: fixture('text') })
      assert.equal(response.statusCode, 401, timestamp)
      assert.equal(JSON.parse(response.body).code, 'WEIBO_ERR_SIGNATURE_EXPIRED')
    }
    assert.equal(runs, 0)
  })
})

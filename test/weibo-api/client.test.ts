import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { FanbotError } from '../../src/errors.ts'
import type { Reply } from '../../src/reply.ts'
import { captureLogs } from '../helpers/logs.ts'
import { fanWrites, sentData } from '../helpers/simulator-api.ts'
import { BIG_UID, REPLY_PATH, TEXT, accepted, apiError, client, rejection, scripted, setup, weiboError } from '../helpers/api-client.ts'

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

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { WeiboApiError } from '../../src/weibo-api/api-error.ts'
import { TEST_TOKEN } from '../helpers/config.ts'
import { follower, refused, setup } from '../helpers/weibo-api.ts'

describe('messages.reply', () => {
  test('standard endpoint: a follower gets the reply through /2/messages/reply.json', async (t) => {
    const { fake, api } = await setup(t)
    follower(fake, '1001')
    await api.messages.reply({ receiverId: '1001', reply: { type: 'text', text: 'hi' } })
    assert.deepEqual(fake.calls.map((call) => call.path), ['/2/messages/reply.json'])
  })

  test('biz endpoint, chosen by config, posts to /2/messages/reply/biz.json', async (t) => {
    const { fake, api } = await setup(t, { replyEndpoint: 'biz' })
    follower(fake, '1002')
    await api.messages.reply({ receiverId: '1002', reply: { type: 'text', text: 'hi' } })
    assert.deepEqual(fake.calls.map((call) => call.path), ['/2/messages/reply/biz.json'])
  })

  test('a bad token is Weibo\'s 21332, and the token is in neither the error nor the logs', async (t) => {
    const { api, logs } = await setup(t, { accessToken: 'wrong-secret-token' })
    const error = await refused<WeiboApiError>(api.messages.reply({ receiverId: '1', reply: { type: 'text', text: 'hi' } }), 'WEIBO_ERR_API_REJECTED')
    assert.equal(error.errorCode, 21332)
    assert.equal(error.needsRebind, true)
    assert.ok(!error.message.includes('wrong-secret-token'))
    assert.ok(!logs.text().includes('wrong-secret-token'))
  })
})

describe('messages.sendAll', () => {
  test('a text to a list of uids is queued: result and msg_id', async (t) => {
    const { fake, api } = await setup(t)
    const result = await api.messages.sendAll({ to: { uids: ['1', '2'] }, message: { type: 'text', text: 'news' } })
    assert.equal(result.result, true)
    assert.notEqual(result.msg_id, undefined)
    const call = fake.calls.at(-1)
    assert.equal(call?.path, '/2/messages/sendall.json')
    assert.equal(call?.params.access_token, '[Redacted]')
  })

  test('articles to a group are sent as JSON', async (t) => {
    const { api } = await setup(t)
    const result = await api.messages.sendAll({
      to: { groupId: '123' },
      message: { type: 'articles', articles: [{ display_name: 'A', summary: 's', image: 'https://example.com/a.jpg', url: 'https://example.com/a' }] }
    })
    assert.equal(result.result, true)
  })

  test('a group-send refusal ({errcode, errmsg}) is mapped to WeiboApiError', async (t) => {
    const { api } = await setup(t)
    const error = await refused<WeiboApiError>(api.messages.sendAll({ to: { groupId: '0' }, message: { type: 'text', text: 'hi' } }), 'WEIBO_ERR_API_REJECTED')
    assert.equal(error.errorCode, 100003)
    assert.equal(error.request, '/2/messages/sendall.json')
  })

  test('text over 300 characters is refused before any call', async (t) => {
    const { fake, api } = await setup(t)
    await refused(api.messages.sendAll({ to: { uids: ['1'] }, message: { type: 'text', text: 'x'.repeat(301) } }), 'WEIBO_ERR_API_INVALID_REQUEST')
    assert.equal(fake.calls.length, 0)
  })
})

test('the token never reaches a log line, even on retries', async (t) => {
  const { fake, api, logs } = await setup(t)
  fake.faults.inject({ kind: 'system-error' }, 2)
  await api.users.info('42')
  assert.ok(logs.text().length > 0, 'the retries were logged')
  assert.ok(!logs.text().includes(TEST_TOKEN))
})

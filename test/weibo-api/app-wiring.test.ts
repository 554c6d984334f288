import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildApp } from '../../src/app.ts'
import { createFakeWeiboApi } from '../../src/simulator/fake-weibo-api.ts'
import { testConfig, TEST_TOKEN } from '../helpers/config.ts'
import { follower } from '../helpers/weibo-api.ts'

test('the app\'s client (ctx.api) reaches each configured host, and WEIBO_REPLY_ENDPOINT=biz picks reply/biz', async (t) => {
  const fake = createFakeWeiboApi({ accessToken: TEST_TOKEN })
  const baseUrl = await fake.listen()
  t.after(fake.close)
  const app = await buildApp({
    handlers: [],
    config: testConfig({
      REDIS_URL: undefined,
      WEIBO_ACCESS_TOKEN: TEST_TOKEN,
      WEIBO_API_BASE_URL: baseUrl,
      WEIBO_C_API_BASE_URL: baseUrl,
      WEIBO_UPLOAD_API_BASE_URL: baseUrl,
      WEIBO_OPEN_API_BASE_URL: baseUrl,
      WEIBO_REPLY_ENDPOINT: 'biz'
    })
  })
  t.after(async () => { await app.close() })
  const { api } = app.fanbot
  follower(fake, '5001')
  await api.messages.reply({ receiverId: '5001', reply: { type: 'text', text: 'hi' } })
  await api.directMessages.send({ uid: '5001', text: 'dm' })
  await api.media.download('2')
  await api.users.info('5001')
  assert.deepEqual(fake.calls.map((call) => call.path),
    ['/2/messages/reply/biz.json', '/2/direct_messages/send.json', '/2/mss/msget', '/2/eps/user/info.json'])
})

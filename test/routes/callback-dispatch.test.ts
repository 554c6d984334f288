import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { articles, defineHandler, position, text, type Handler, type Message, type Trigger } from '../../src/index.ts'
import { buildApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { testConfig } from '../helpers/config.ts'
import { captureLogs } from '../helpers/logs.ts'
import { decodePassive, fixture, fixtureWith, sendPush } from '../helpers/push.ts'

const FIXTURES = ['text', 'position', 'voice', 'image', 'event-follow', 'event-unfollow', 'event-subscribe', 'event-scan',
  'event-scan-follow', 'event-click', 'event-view', 'mention-status', 'mention-comment']

describe('dispatch to handlers', () => {
  test('every push type reaches the handler validated, with Weibo field names and string ids', async (t) => {
    const seen: Message[] = []
    const { app } = await startTestApp(t, { handlers: [defineHandler({ on: '*', handle: (message) => { seen.push(message) } })] })
    for (const name of FIXTURES) {
      const response = await sendPush(app, fixture(name))
      assert.equal(response.statusCode, 200, name)
    }
    assert.deepEqual(seen.map((message) => 'subtype' in message.data ? `${message.type}:${String(message.data.subtype)}` : message.type), [
      'text', 'position', 'voice', 'image', 'event:follow', 'event:unfollow', 'event:subscribe', 'event:scan',
      'event:scan_follow', 'event:click', 'event:view', 'mention:status', 'mention:comment'
    ])
    for (const message of seen) {
      assert.equal(message.sender_id, '2489518277')
      assert.equal(message.receiver_id, '1902538057')
    }
    const [, position, voice] = seen
    assert.deepEqual(position?.data, { longitude: '116.308586', latitude: '39.982525' })
    assert.deepEqual(voice?.data, { vfid: '821804459', tovfid: '821804469' })
    assert.deepEqual(seen[7]?.data, { subtype: 'scan', key: 'QR_SCENE_123123', ticket: 'TICKET' })
    assert.deepEqual(seen[12]?.data, { subtype: 'comment', key: '4123456789012345' })
  })

  test('a reply in time goes back as the passive reply JSON, ids swapped and data URL-encoded', async (t) => {
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => text('中文消息 & more?') }] })
    const response = await sendPush(app, fixture('text'))
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /^application\/json/)
    const raw = JSON.parse(response.body) as { data: string }
    assert.equal(raw.data, encodeURIComponent(JSON.stringify({ text: '中文消息 & more?' })))
    assert.deepEqual(decodePassive(response.body), {
      result: true, sender_id: '1902538057', receiver_id: '2489518277', type: 'text', data: { text: '中文消息 & more?' }
    })
  })

  test('articles and position replies are encoded as Weibo expects', async (t) => {
    const article = { display_name: '两个故事', summary: '今天讲两个故事', image: 'http://storage.mcp.weibo.cn/0JlIv.jpg', url: 'http://e.weibo.com/x' }
    const { app } = await startTestApp(t, {
      handlers: [
        { on: 'text', handle: () => articles(article) },
        { on: 'position', handle: () => position(116.3, 39.9) }
      ]
    })
    assert.deepEqual(decodePassive((await sendPush(app, fixture('text'))).body).data, { articles: [article] })
    const positionReply = decodePassive((await sendPush(app, fixture('position'))).body)
    assert.equal(positionReply.type, 'position')
    assert.deepEqual(positionReply.data, { longitude: '116.3', latitude: '39.9' })
  })

  test('a 19-digit sender_id comes back in the reply digit for digit', async (t) => {
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => text('hi') }] })
    const body = fixture('text').replace('"sender_id":2489518277', '"sender_id":9223372036854775807').replace('"receiver_id":1902538057', '"receiver_id":1234567890123456789')
    const reply = decodePassive((await sendPush(app, body)).body)
    assert.equal(reply.receiver_id, '9223372036854775807')
    assert.equal(reply.sender_id, '1234567890123456789')
  })

  test('a handler returning undefined gets 200 with an empty body', async (t) => {
    const { app, logs } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => undefined }] })
    const response = await sendPush(app, fixture('text'))
    assert.equal(response.statusCode, 200)
    assert.equal(response.body, '')
    assert.ok(logs.lines().some((line) => (line.push as { outcome?: string } | undefined)?.outcome === 'blank'))
  })

  test('no handler for the message: 200 with an empty body', async (t) => {
    const { app } = await startTestApp(t, { handlers: [{ on: 'image', handle: () => text('image!') }] })
    const response = await sendPush(app, fixture('text'))
    assert.equal(response.statusCode, 200)
    assert.equal(response.body, '')
  })

  test('the first matching handler answers: priority, then order, "*" last', async (t) => {
    const handlers: Array<Handler<Trigger>> = [
      { name: 'catch-all', on: '*', priority: 100, handle: () => text('catch-all') },
      { name: 'hello', on: 'text', match: 'hello', handle: () => text('hello handler') },
      { name: 'urgent', on: 'text', match: /urgent/, priority: 5, handle: () => text('urgent handler') },
      { name: 'follow', on: 'event:follow', handle: () => text('welcome') }
    ]
    const { app } = await startTestApp(t, { handlers })
    const answer = async (body: string): Promise<unknown> => decodePassive((await sendPush(app, body)).body).data
    assert.deepEqual(await answer(fixtureWith('text', { text: 'hello' })), { text: 'hello handler' })
    assert.deepEqual(await answer(fixtureWith('text', { text: 'urgent hello' })), { text: 'urgent handler' })
    assert.deepEqual(await answer(fixtureWith('text', { text: 'something else' })), { text: 'catch-all' })
    assert.deepEqual(await answer(fixture('event-follow')), { text: 'welcome' })
    assert.deepEqual(await answer(fixture('event-unfollow')), { text: 'catch-all' })
  })

  test('a throwing handler: 200 empty body, an error log naming the handler, no crash', async (t) => {
    const { app, logs } = await startTestApp(t, {
      handlers: [{ name: 'broken', on: 'text', handle: () => { throw new Error('database is down') } }]
    })
    const response = await sendPush(app, fixture('text'))
    assert.equal(response.statusCode, 200)
    assert.equal(response.body, '')
    const error = logs.lines().find((line) => line.level === 50)
    assert.equal(error?.handler, 'broken')
    assert.match(String(error?.msg), /WEIBO_ERR_HANDLER_THREW/)
    assert.match(JSON.stringify(error?.err), /database is down/)
    const push = logs.lines().find((line) => line.push !== undefined)
    assert.equal((push?.push as { outcome: string }).outcome, 'failed')
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  })

  test('a rejected promise is handled like a throw', async (t) => {
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: async () => await Promise.reject(new Error('nope')) }] })
    const response = await sendPush(app, fixture('text'))
    assert.equal(response.statusCode, 200)
    assert.equal(response.body, '')
  })

  for (const [label, reply] of [
    ['empty text', { type: 'text', text: '' }],
    ['text over 300 characters', { type: 'text', text: '字'.repeat(301) }],
    ['no articles', { type: 'articles', articles: [] }],
    ['nine articles', { type: 'articles', articles: Array.from({ length: 9 }, () => ({ display_name: 'a', summary: 's', image: 'http://x/y.jpg', url: 'http://x' })) }],
    ['an article without url', { type: 'articles', articles: [{ display_name: 'a', summary: 's', image: 'http://x/y.jpg' }] }],
    ['an image reply', { type: 'image', vfid: '1' }],
    ['a bare string', 'hello']
  ] as const) {
    test(`an invalid reply (${label}): 200 empty body, error log naming the handler and the reason`, async (t) => {
      const { app, logs } = await startTestApp(t, { handlers: [{ name: 'sloppy', on: 'text', handle: () => reply as never }] })
      const response = await sendPush(app, fixture('text'))
      assert.equal(response.statusCode, 200)
      assert.equal(response.body, '')
      const error = logs.lines().find((line) => line.level === 50)
      assert.equal(error?.handler, 'sloppy')
      assert.match(String(error?.msg), /WEIBO_ERR_REPLY_INVALID/)
    })
  }
})

describe('unexpected failures', () => {
  test('an internal error answers 500 WEIBO_ERR_SERVER_INTERNAL without echoing its details, and is logged', async (t) => {
    const logs = captureLogs()
    const app = await buildApp({
      config: testConfig(),
      logger: logs.logger,
      handlers: [{ on: 'text', handle: () => text('never') }],
      store: { size: 0, claim: () => { throw new Error('store exploded at 10.0.0.7') } }
    })
    t.after(async () => { await app.close() })
    const response = await sendPush(app, fixture('text'))
    assert.equal(response.statusCode, 500)
    assert.equal(JSON.parse(response.body).code, 'WEIBO_ERR_SERVER_INTERNAL')
    assert.doesNotMatch(response.body, /exploded|10\.0\.0\.7/)
    assert.ok(logs.text().includes('store exploded'))
  })
})

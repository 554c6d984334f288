import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildApp } from '../src/app.ts'
import { text } from '../src/index.ts'
import { redactUrl } from '../src/logger.ts'
import { TEST_SECRET, TEST_TOKEN, testConfig } from './helpers/config.ts'
import { deferred } from './helpers/deferred.ts'
import { captureLogs } from './helpers/logs.ts'
import { fixture, sendPush, signedQuery } from './helpers/push.ts'
import { listenFakeApi } from './helpers/simulator-api.ts'

describe('logs', () => {
  test('one line per push with type, sender, dedup key, handler, outcome and duration', async (t) => {
    const logs = captureLogs('info')
    const app = await buildApp({ config: testConfig(), logger: logs.logger, handlers: [{ name: 'greeter', on: 'text', handle: () => text('hi') }] })
    t.after(async () => { await app.close() })
    await sendPush(app, fixture('text'))
    const lines = logs.lines().filter((line) => line.push !== undefined)
    assert.equal(lines.length, 1)
    const push = lines[0]?.push as Record<string, unknown>
    assert.equal(push.type, 'text')
    assert.equal(push.sender, '2489518277')
    assert.match(String(push.dedupKey), /^1902538057\|2489518277\|Mon Jul 16 18:09:20 \+0800 2012\|/)
    assert.equal(push.handler, 'greeter')
    assert.equal(push.outcome, 'passive')
    assert.equal(typeof push.durationMs, 'number')
  })

  test('the app secret, the access token and request signatures never reach a log line, even at trace level', async (t) => {
    const api = await listenFakeApi(t)
    api.faults.inject({ kind: 'expired-token' }) // Weibo's 21327 for the late reply
    const logs = captureLogs('trace')
    const release = deferred()
    const app = await buildApp({
      config: testConfig({ WEIBO_ACCESS_TOKEN: TEST_TOKEN, WEIBO_API_BASE_URL: api.baseUrl, REPLY_DEADLINE_MS: '5', LOG_LEVEL: 'trace' }),
      logger: logs.logger,
      handlers: [
        {
          on: 'text',
          handle: async (message, ctx) => {
            // A careless handler logging what it was given, credentials included.
            ctx.log.info({ message, ctx, access_token: TEST_TOKEN, config: { appSecret: TEST_SECRET } }, 'handler saw')
            await release.promise
            return text('late')
          }
        },
        { on: 'image', handle: () => { throw new Error('boom') } }
      ]
    })
    const query = signedQuery({ echostr: 'e' })
    const signature = new URLSearchParams(query).get('signature') ?? ''
    await app.inject({ method: 'GET', url: `/weibo?${query}` })
    await app.inject({ method: 'GET', url: `/weibo?${signedQuery({ secret: 'wrong', echostr: 'e' })}` })
    await app.inject({ method: 'POST', url: `/weibo?${query}`, payload: fixture('image') })
    await sendPush(app, fixture('text'))
    await sendPush(app, fixture('text'), { secret: 'wrong' })
    await sendPush(app, '{bad json')
    release.resolve()
    await app.close()

    const written = logs.text()
    assert.ok(written.includes('late reply refused'), 'the failing late reply was logged')
    assert.ok(written.includes('[Redacted]'), 'the handler\'s credentials were redacted')
    assert.equal(written.includes(TEST_SECRET), false, 'app secret leaked')
    assert.equal(written.includes(TEST_TOKEN), false, 'access token leaked')
    assert.equal(written.includes(signature), false, 'signature leaked')
  })

  test('redactUrl hides access_token and signature values in URLs', () => {
    assert.equal(redactUrl('/weibo?signature=abc&timestamp=1&nonce=2'), '/weibo?signature=[Redacted]&timestamp=1&nonce=2')
    assert.equal(redactUrl('/2/x.json?fid=1&access_token=tok'), '/2/x.json?fid=1&access_token=[Redacted]')
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { text } from '../../src/index.ts'
import { startTestApp } from '../helpers/app.ts'
import { TEST_TOKEN } from '../helpers/config.ts'
import { deferred, waitFor } from '../helpers/deferred.ts'
import { fixture, sendPush } from '../helpers/push.ts'
import { fanWrites, listenFakeApi, sentData } from '../helpers/simulator-api.ts'

describe('the 5-second window: passive when fast, active when late', () => {
  test('a late handler: blank 200 at the deadline, then its reply goes out once through messages/reply', async (t) => {
    const api = await listenFakeApi(t)
    fanWrites(api) // the fixture's fan, so the late reply is inside the fan's reply window
    const release = deferred()
    const { app, logs } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: async () => { await release.promise; return text('sorry I was slow') } }],
      env: { REPLY_DEADLINE_MS: '30', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: TEST_TOKEN, WEIBO_REPLY_SAVE_SENDER_BOX: 'false' }
    })
    const started = performance.now()
    const response = await sendPush(app, fixture('text'))
    assert.equal(response.statusCode, 200)
    assert.equal(response.body, '')
    assert.ok(performance.now() - started < 1000, 'answered at the deadline, not when the handler finished')
    assert.equal(api.calls.length, 0, 'nothing sent before the handler finishes')

    release.resolve()
    await waitFor(() => api.calls.length === 1)
    const [call] = api.calls
    assert.equal(call?.path, '/2/messages/reply.json')
    // The fake accepts only a form body (10007 otherwise) carrying TEST_TOKEN (21332 otherwise): a 200 proves both.
    assert.equal(call?.status, 200)
    assert.deepEqual({ ...call?.params, data: sentData(call) }, {
      receiver_id: '2489518277', type: 'text', data: { text: 'sorry I was slow' }, save_sender_box: '0', access_token: '[Redacted]'
    })
    const outcomes = logs.lines().flatMap((line) => line.push === undefined ? [] : [(line.push as { outcome: string }).outcome])
    assert.deepEqual(outcomes, ['active'])
    await waitFor(() => logs.lines().some((line) => line.msg === 'late reply sent'))
  })

  test('a retry arriving after the hand-off gets a blank answer, and the reply is still sent only once', async (t) => {
    const api = await listenFakeApi(t)
    fanWrites(api)
    const release = deferred()
    let runs = 0
    const { app } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: async () => { runs++; await release.promise; return text('late') } }],
      env: { REPLY_DEADLINE_MS: '20', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: TEST_TOKEN }
    })
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    release.resolve()
    await waitFor(() => api.calls.length === 1)
    assert.equal((await sendPush(app, fixture('text'))).body, '', 'a retry after the late reply went out stays blank')
    await app.close()
    assert.equal(api.calls.length, 1)
    assert.equal(api.calls[0]?.status, 200)
    assert.equal(runs, 1)
  })

  test('a late handler that returns nothing, throws or returns an invalid reply sends nothing', async (t) => {
    const api = await listenFakeApi(t)
    const release = deferred()
    const { app, logs } = await startTestApp(t, {
      handlers: [
        { on: 'text', handle: async () => { await release.promise } },
        { on: 'image', handle: async () => { await release.promise; throw new Error('late failure') } },
        { on: 'voice', handle: async () => { await release.promise; return text('') } }
      ],
      env: { REPLY_DEADLINE_MS: '20', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: TEST_TOKEN }
    })
    for (const name of ['text', 'image', 'voice']) assert.equal((await sendPush(app, fixture(name))).body, '')
    release.resolve()
    await app.close()
    assert.equal(api.calls.length, 0)
    const errors = logs.lines().filter((line) => line.level === 50).map((line) => String(line.msg))
    assert.equal(errors.length, 2)
    assert.ok(errors.some((msg) => msg.includes('WEIBO_ERR_HANDLER_THREW')))
    assert.ok(errors.some((msg) => msg.includes('WEIBO_ERR_REPLY_INVALID')))
  })

  test('without WEIBO_ACCESS_TOKEN the late reply is logged as a dry run, not sent', async (t) => {
    const api = await listenFakeApi(t)
    const release = deferred()
    const { app, logs } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: async () => { await release.promise; return text('dry') } }],
      env: { REPLY_DEADLINE_MS: '1', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: undefined }
    })
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    release.resolve()
    await app.close()
    assert.equal(api.calls.length, 0)
    const dryRun = logs.lines().find((line) => (line.lateReply as { dryRun?: boolean } | undefined)?.dryRun === true)
    assert.deepEqual((dryRun?.lateReply as { reply: unknown }).reply, { type: 'text', text: 'dry' })
  })

  test('a late reply refused by Weibo (expired token 21327) is logged with error_code and a rebind hint, not retried', async (t) => {
    const api = await listenFakeApi(t)
    const release = deferred()
    api.faults.inject({ kind: 'expired-token' })
    const { app, logs } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: async () => { await release.promise; return text('late') } }],
      env: { REPLY_DEADLINE_MS: '1', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: TEST_TOKEN }
    })
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    release.resolve()
    await app.close()
    assert.equal(api.calls.length, 1)
    const failure = logs.lines().find((line) => line.msg !== undefined && String(line.msg).startsWith('late reply refused'))
    assert.equal((failure?.lateReply as { errorCode: number }).errorCode, 21327)
    assert.match(String(failure?.msg), /bind the callback URL again/)
  })

  test('a late reply survives transient failures: 503 and system error 10001 are retried, delivered once', async (t) => {
    const api = await listenFakeApi(t)
    fanWrites(api)
    const release = deferred()
    api.faults.inject({ kind: 'server-error', status: 503 })
    api.faults.inject({ kind: 'system-error' })
    const { app } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: async () => { await release.promise; return text('late') } }],
      env: { REPLY_DEADLINE_MS: '1', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: TEST_TOKEN }
    })
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    release.resolve()
    await app.close()
    assert.deepEqual(api.calls.map((call) => [call.fault, call.status]), [['server-error', 503], ['system-error', 500], [undefined, 200]])
    assert.deepEqual(sentData(api.calls[2]), { text: 'late' })
  })
})

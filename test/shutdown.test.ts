import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { text } from '../src/index.ts'
import { startTestApp } from './helpers/app.ts'
import { TEST_TOKEN } from './helpers/config.ts'
import { deferred, waitFor } from './helpers/deferred.ts'
import { fixture, sendPush } from './helpers/push.ts'
import { fanWrites, listenFakeApi, sentData } from './helpers/simulator-api.ts'

describe('graceful shutdown (app.close, as on SIGTERM)', () => {
  test('waits for a running handler and sends its late reply before it resolves', async (t) => {
    const api = await listenFakeApi(t)
    fanWrites(api) // the fixture's fan, so the late reply is inside the fan's reply window
    const release = deferred()
    const started = deferred()
    const { app } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: async () => { started.resolve(); await release.promise; return text('finished during shutdown') } }],
      // The wait is what this test is about, not the grace period: with the tests' usual 2 s (and API timeout), a
      // loaded machine (load 20) ended the grace period while the late reply was being sent, and close resolved with
      // it still pending. The next test is about the grace period.
      env: { REPLY_DEADLINE_MS: '10', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: TEST_TOKEN, SHUTDOWN_TIMEOUT_MS: '60000', WEIBO_API_TIMEOUT_MS: '30000' }
    })
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    await started.promise
    assert.ok(app.fanbot.dispatcher.pending > 0)
    let closed = false
    const closing = app.close().then(() => { closed = true })
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(closed, false, 'close waits for the handler')
    release.resolve()
    await closing
    assert.equal(api.calls.length, 1)
    assert.equal(api.calls[0]?.status, 200, 'Weibo accepted the late reply')
    assert.deepEqual(sentData(api.calls[0]), { text: 'finished during shutdown' })
    assert.equal(app.fanbot.dispatcher.pending, 0)
  })

  test('after SHUTDOWN_TIMEOUT_MS it stops waiting, fires the handler signal and logs what was abandoned', async (t) => {
    const aborted = deferred<unknown>()
    const { app, logs } = await startTestApp(t, {
      handlers: [{
        on: 'text',
        handle: async (_message, ctx) => {
          ctx.signal.addEventListener('abort', () => { aborted.resolve(ctx.signal.reason) })
          await new Promise(() => {}) // never finishes on its own
        }
      }],
      env: { REPLY_DEADLINE_MS: '10', SHUTDOWN_TIMEOUT_MS: '50' }
    })
    await sendPush(app, fixture('text'))
    const before = performance.now()
    await app.close()
    assert.ok(performance.now() - before < 1000)
    await aborted.promise
    await waitFor(() => logs.lines().some((line) => String(line.msg).startsWith('shutdown grace period ended')))
    assert.ok(logs.lines().some((line) => String(line.msg).includes('WEIBO_ERR_HANDLER_TIMEOUT')))
  })

  test('many handlers running at once wait for shutdown without a listener-leak warning', async (t) => {
    const warnings: string[] = []
    const onWarning = (warning: Error): void => { warnings.push(warning.name) }
    process.on('warning', onWarning)
    t.after(() => { process.off('warning', onWarning) })
    const release = deferred()
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: async () => { await release.promise } }], env: { REPLY_DEADLINE_MS: '5' } })
    await Promise.all(Array.from({ length: 30 }, async (_, index) => await sendPush(app, fixture('text').replace('"text":"纯文本"', `"text":"message ${index}"`))))
    release.resolve()
    await app.fanbot.dispatcher.idle()
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(warnings.filter((name) => name === 'MaxListenersExceededWarning'), [])
  })
})

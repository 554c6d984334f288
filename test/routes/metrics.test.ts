import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { text } from '../../src/index.ts'
import { buildMetricsServer } from '../../src/metrics-server.ts'
import { startTestApp } from '../helpers/app.ts'
import { TEST_TOKEN } from '../helpers/config.ts'
import { deferred } from '../helpers/deferred.ts'
import { captureLogs } from '../helpers/logs.ts'
import { fixture, fixtureWith, sendPush } from '../helpers/push.ts'
import { listenFakeApi } from '../helpers/simulator-api.ts'

/** The value of one sample line of the exposition text, e.g. `weibo_fanbot_pushes_total{type="text",outcome="passive",account="default"}`. */
function sample (exposition: string, line: string): number | undefined {
  const found = exposition.split('\n').find((entry) => entry.startsWith(`${line} `))
  return found === undefined ? undefined : Number(found.slice(line.length + 1))
}

describe('/metrics', () => {
  test('counts pushes by type and outcome, duplicates joined or replayed, hand-offs, and handler durations', async (t) => {
    const release = deferred()
    const voice = deferred()
    const { app } = await startTestApp(t, {
      handlers: [
        { name: 'greeter', on: 'text', handle: () => text('hi') },
        { name: 'slow', on: 'image', handle: async () => { await release.promise } },
        { name: 'listener', on: 'voice', handle: async () => { await voice.promise; return text('heard') } }
      ],
      env: { REPLY_DEADLINE_MS: '200' }
    })
    await sendPush(app, fixture('text'))
    await sendPush(app, fixture('text')) // Weibo's retry, after the answer: replayed
    const first = sendPush(app, fixture('voice'))
    const retry = sendPush(app, fixture('voice')) // a retry while the first is still running: joined
    // Release the handler only once the retry has joined (a second label, "joined", appears beside "replayed").
    while ((await app.fanbot.metrics.duplicates.get()).values.length === 1) await new Promise((resolve) => setImmediate(resolve))
    voice.resolve()
    await Promise.all([first, retry])
    await sendPush(app, fixture('image')) // late: handed off
    await sendPush(app, fixture('image')) // its retry after the hand-off: replayed (blank)
    await sendPush(app, fixtureWith('text', { type: 'gift' }))
    await app.inject({ method: 'POST', url: '/weibo', payload: '{}' }) // unsigned
    release.resolve()
    await app.fanbot.dispatcher.idle()

    const response = await app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    const body = response.body
    assert.equal(sample(body, 'weibo_fanbot_pushes_total{type="text",outcome="passive",account="default"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_pushes_total{type="text",outcome="duplicate",account="default"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_pushes_total{type="image",outcome="active",account="default"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_pushes_total{type="unknown",outcome="ignored",account="unknown"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_pushes_total{type="unknown",outcome="rejected",account="unknown"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_duplicates_total{kind="replayed"}'), 2)
    assert.equal(sample(body, 'weibo_fanbot_duplicates_total{kind="joined"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_deadline_handoffs_total'), 1)
    assert.equal(sample(body, 'weibo_fanbot_handler_duration_seconds_count{handler="greeter",status="reply"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_handler_duration_seconds_count{handler="slow",status="none"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_dedup_entries'), 3)
    assert.ok(sample(body, 'nodejs_eventloop_lag_seconds') !== undefined, 'event loop lag')
    assert.ok((sample(body, 'process_resident_memory_bytes') ?? 0) > 0, 'process metrics')
  })

  test('counts Weibo API attempts by outcome and error_code', async (t) => {
    const api = await listenFakeApi(t)
    // The late reply's first attempt gets Weibo's 10001 (retried), the retry 21327 (not retried).
    api.faults.inject({ kind: 'system-error' })
    api.faults.inject({ kind: 'expired-token' })
    // Late for sure: the handler ends once the push was answered (a 30 ms sleep raced the 1 ms deadline's timer).
    const answered = deferred()
    const { app } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: async () => { await answered.promise; return text('late') } }],
      env: { REPLY_DEADLINE_MS: '1', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: TEST_TOKEN }
    })
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    answered.resolve()
    await app.fanbot.dispatcher.idle()
    assert.deepEqual(api.calls.map((call) => call.fault), ['system-error', 'expired-token'])
    const body = (await app.inject({ method: 'GET', url: '/metrics' })).body
    assert.equal(sample(body, 'weibo_fanbot_api_calls_total{endpoint="/2/messages/reply.json",outcome="WEIBO_ERR_API_REJECTED",error_code="10001"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_api_calls_total{endpoint="/2/messages/reply.json",outcome="WEIBO_ERR_API_REJECTED",error_code="21327"}'), 1)
  })

  test('with METRICS_TOKEN set, asks for the bearer token', async (t) => {
    const { app } = await startTestApp(t, { handlers: [], env: { METRICS_TOKEN: 'scrape-me' } })
    const missing = await app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(missing.statusCode, 401)
    assert.equal(missing.json().code, 'WEIBO_ERR_METRICS_UNAUTHORIZED')
    assert.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode, 401)
    assert.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-me' } })).statusCode, 200)
  })

  test('in production without METRICS_TOKEN or METRICS_PORT, the public port refuses /metrics; a token opens it', async (t) => {
    const { app } = await startTestApp(t, { handlers: [], env: { NODE_ENV: 'production' } })
    const refused = await app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(refused.statusCode, 403)
    assert.equal(refused.json().code, 'WEIBO_ERR_METRICS_NOT_PUBLIC')
    assert.doesNotMatch(refused.body, /weibo_fanbot_/)
    const withToken = await startTestApp(t, { handlers: [], env: { NODE_ENV: 'production', METRICS_TOKEN: 'scrape-me' } })
    assert.equal((await withToken.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401)
    assert.equal((await withToken.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-me' } })).statusCode, 200)
  })

  test('with METRICS_PORT, /metrics is not on the public port but on the metrics server (open there, token if set)', async (t) => {
    const { app } = await startTestApp(t, { handlers: [], env: { NODE_ENV: 'production', METRICS_PORT: '9464' } })
    assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
    const server = await buildMetricsServer({ config: app.fanbot.config, metrics: app.fanbot.metrics, logger: captureLogs().logger })
    t.after(async () => { await server.close() })
    await sendPush(app, fixture('text'))
    const scraped = await server.inject({ method: 'GET', url: '/metrics' })
    assert.equal(scraped.statusCode, 200)
    assert.equal(sample(scraped.body, 'weibo_fanbot_pushes_total{type="text",outcome="blank",account="default"}'), 1)
    assert.equal((await server.inject({ method: 'POST', url: '/weibo' })).statusCode, 404, 'only /metrics on the metrics port')

    const guarded = await startTestApp(t, { handlers: [], env: { METRICS_PORT: '9464', METRICS_TOKEN: 'scrape-me' } })
    const guardedServer = await buildMetricsServer({ config: guarded.app.fanbot.config, metrics: guarded.app.fanbot.metrics, logger: captureLogs().logger })
    t.after(async () => { await guardedServer.close() })
    assert.equal((await guardedServer.inject({ method: 'GET', url: '/metrics' })).statusCode, 401)
  })
})

describe('overload shedding', () => {
  test('while the event loop lags past OVERLOAD_MAX_EVENT_LOOP_DELAY_MS, pushes get a quick 503; health stays up', async (t) => {
    let runs = 0
    const { app, logs } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: () => { runs++ } }],
      env: { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '20' }
    })
    await app.ready()
    // A sustained lag (the measure is a mean over each 250 ms sample, so one spike is not enough).
    const lagUntil = Date.now() + 700
    while (Date.now() < lagUntil) {
      const blockUntil = Date.now() + 60
      while (Date.now() < blockUntil) { /* a handler hogging the CPU */ }
      await new Promise((resolve) => setImmediate(resolve))
    }
    const shed = await sendPush(app, fixture('text'))
    assert.equal(shed.statusCode, 503)
    assert.equal(shed.json().code, 'WEIBO_ERR_SERVER_OVERLOADED')
    assert.equal(runs, 0)
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
    assert.ok(logs.lines().some((line) => (line.push as { outcome?: string } | undefined)?.outcome === 'overloaded'))
  })
})

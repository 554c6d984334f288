import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { text } from '../src/index.ts'
import { startTestApp } from './helpers/app.ts'
import { TEST_TOKEN } from './helpers/config.ts'
import { deferred, type Deferred } from './helpers/deferred.ts'
import { fixture, fixtureWith, sendPush } from './helpers/push.ts'
import { fanWrites, listenFakeApi } from './helpers/simulator-api.ts'

/** The value of one sample line of the exposition text, e.g. `weibo_fanbot_late_replies_total{outcome="sent",account="default"}`. */
function sample (exposition: string, line: string): number | undefined {
  const found = exposition.split('\n').find((entry) => entry.startsWith(`${line} `))
  return found === undefined ? undefined : Number(found.slice(line.length + 1))
}

/** The metric names a scrape declares (`# TYPE <name> <kind>` lines). */
function declared (exposition: string): string[] {
  return exposition.split('\n').filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2] ?? '')
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

describe('metrics', () => {
  test('without Redis, late replies are counted by outcome and the time the fan waited is a histogram', async (t) => {
    const api = await listenFakeApi(t)
    const fan = '2489518277' // the fixtures' sender
    fanWrites(api, fan)
    // The handlers end only once the three pushes were answered (blank, at the 20 ms deadline): late however the
    // machine schedules us (a sleep alone races the deadline's timer; see the next test).
    const answered = deferred()
    const { app } = await startTestApp(t, {
      handlers: [
        { name: 'slow-answer', on: 'text', match: /^slow$/, handle: async () => { await answered.promise; await sleep(300); return text('sorry for the wait') } },
        { name: 'slow-silence', on: 'text', match: /^quiet$/, handle: async () => { await answered.promise } },
        { name: 'slow-refused', on: 'text', match: /^nobody$/, handle: async () => { await answered.promise; return text('to a fan who never wrote') } }
      ],
      // No overload shedding: a loaded machine's first compile must not turn a push into a 503 here.
      env: { REPLY_DEADLINE_MS: '20', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: TEST_TOKEN, REPLY_QUOTA_ENFORCE: 'false', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' }
    })
    const answers = [
      await sendPush(app, fixtureWith('text', { text: 'slow' })),
      await sendPush(app, fixtureWith('text', { text: 'quiet' })),
      await sendPush(app, fixtureWith('text', { text: 'nobody', sender_id: 1234567 })) // Weibo refuses: 20301
    ]
    assert.deepEqual(answers.map((answer) => [answer.statusCode, answer.body]), [[200, ''], [200, ''], [200, '']])
    answered.resolve()
    await app.fanbot.dispatcher.idle()

    const body = (await app.inject({ url: '/metrics' })).body
    assert.equal(sample(body, 'weibo_fanbot_late_replies_total{outcome="sent",account="default"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_late_replies_total{outcome="none",account="default"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_late_replies_total{outcome="failed",account="default"}'), 1, body)
    assert.equal(sample(body, 'weibo_fanbot_late_reply_time_to_fan_seconds_count'), 1)
    // From the push's arrival, not from the API call: the handler's 300 ms are in it.
    assert.ok((sample(body, 'weibo_fanbot_late_reply_time_to_fan_seconds_sum') ?? 0) >= 0.3, body)
    assert.equal(sample(body, 'weibo_fanbot_late_reply_time_to_fan_seconds_bucket{le="0.1"}'), undefined, 'buckets start at 1 s')
    assert.equal(sample(body, 'weibo_fanbot_late_reply_time_to_fan_seconds_bucket{le="3600"}'), 1)
  })

  test('a late reply without a token counts as dry-run; one refused by the reply quota as refused', async (t) => {
    // Each handler ends only once its push was answered (blank, at the 5 ms deadline), so its reply is late however
    // the machine schedules us. A handler sleeping 50 ms raced the deadline's timer: a process paused for 45 ms
    // between the two timers' creation (a loaded machine, 2 December 2026) answered it passively, and no late reply
    // was counted.
    const [first, second] = [deferred(), deferred()]
    const late = (answered: Deferred<void>) => [{ on: 'text' as const, handle: async () => { await answered.promise; return text('later') } }]
    const { app } = await startTestApp(t, { handlers: late(first), env: { REPLY_DEADLINE_MS: '5', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' } })
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    first.resolve()
    await app.fanbot.dispatcher.idle()
    assert.equal(sample((await app.inject({ url: '/metrics' })).body, 'weibo_fanbot_late_replies_total{outcome="dry-run",account="default"}'), 1)

    const api = await listenFakeApi(t)
    const quota = await startTestApp(t, {
      handlers: late(second),
      env: { REPLY_DEADLINE_MS: '5', WEIBO_API_BASE_URL: api.baseUrl, WEIBO_ACCESS_TOKEN: TEST_TOKEN, REPLY_QUOTA_PER_WINDOW: '0', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' }
    })
    assert.equal((await sendPush(quota.app, fixture('text'))).body, '')
    second.resolve()
    await quota.app.fanbot.dispatcher.idle()
    assert.equal(sample((await quota.app.inject({ url: '/metrics' })).body, 'weibo_fanbot_late_replies_total{outcome="refused",account="default"}'), 1)
    assert.equal(api.calls.length, 0)
  })

  test('the callback route\'s answers are a latency histogram by method and status', async (t) => {
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: async () => { await sleep(60); return text('hi') } }], env: { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' } })
    await sendPush(app, fixture('text'))
    await app.inject({ method: 'POST', url: '/weibo', payload: '{}' }) // unsigned: 401
    await app.inject({ url: '/healthz' }) // not the callback route: not measured
    const body = (await app.inject({ url: '/metrics' })).body
    assert.equal(sample(body, 'weibo_fanbot_callback_duration_seconds_count{method="POST",status="200"}'), 1)
    assert.equal(sample(body, 'weibo_fanbot_callback_duration_seconds_count{method="POST",status="401"}'), 1)
    assert.ok((sample(body, 'weibo_fanbot_callback_duration_seconds_sum{method="POST",status="200"}') ?? 0) >= 0.06)
    assert.equal(sample(body, 'weibo_fanbot_callback_duration_seconds_bucket{le="0.05",method="POST",status="200"}'), 0)
    assert.ok(!body.includes('status="200",method="GET"') && !/callback_duration_seconds_count\{method="GET"/.test(body))
  })

  test('metrics of subsystems that do not run are not exported', async (t) => {
    const { app } = await startTestApp(t, { handlers: [], env: { REPLY_QUOTA_ENFORCE: 'false' } })
    const names = declared((await app.inject({ url: '/metrics' })).body)
    for (const off of ['weibo_fanbot_stream_connected', 'weibo_fanbot_stream_records_total', 'weibo_fanbot_stream_connections_total',
      'weibo_fanbot_outbox_enqueued_total', 'weibo_fanbot_outbox_attempts_total', 'weibo_fanbot_replies_refused_total',
      'weibo_fanbot_store_errors_total']) {
      assert.ok(!names.includes(off), `${off} is exported`)
    }
    for (const on of ['weibo_fanbot_pushes_total', 'weibo_fanbot_late_replies_total', 'weibo_fanbot_late_reply_time_to_fan_seconds',
      'weibo_fanbot_callback_duration_seconds', 'weibo_fanbot_dedup_entries']) {
      assert.ok(names.includes(on), `${on} is missing`)
    }
    const withQuota = await startTestApp(t, { handlers: [] })
    assert.ok(declared((await withQuota.app.inject({ url: '/metrics' })).body).includes('weibo_fanbot_replies_refused_total'))
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createMemorySinceIdStore } from '../../src/push-stream/memory-since-id-store.ts'
import { freePort } from '../helpers/ports.ts'
import { waitFor } from '../helpers/deferred.ts'
import { linesWithCode, recordLine, startFakeStream, startTestClient } from '../helpers/push-stream.ts'

const IP_LIMITED = '{"request":"/commercial/push","error_code":10004,"error":"Ip is limited"}'

describe('push stream client: answers that are not a stream', () => {
  test('HTTP 500: retries with a growing delay, warns with the code, and recovers', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { reconnectMinMs: 20, reconnectMaxMs: 200, random: () => 1 })
    for (let n = 1; n <= 5; n++) (await fake.request(n)).fail(500, '<html>oops</html>')
    const sixth = await fake.request(6)
    const gaps = fake.requests.slice(1).map((request, i) => request.at - (fake.requests[i]?.at ?? 0))
    // Planned waits 20, 40, 80, 160, 200 ms (random pinned high, capped at max): each gap at least its wait, so the
    // waits grow (lower bounds only: a loaded machine adds time, never removes it).
    for (const [i, wait] of [20, 40, 80, 160, 200].entries()) assert.ok((gaps[i] ?? 0) >= wait - 5, `gap ${i + 1} ${Math.round(gaps[i] ?? 0)} ms < ${wait}`)
    const warnings = linesWithCode(client.logs, 'WEIBO_ERR_STREAM_HTTP')
    assert.equal(warnings.length, 5)
    assert.equal((warnings[0]?.pushStream as { status: number }).status, 500)
    assert.deepEqual(client.closes, ['error', 'error', 'error', 'error', 'error'])

    await sixth.write(recordLine('1'))
    await waitFor(() => client.records.length === 1)
    assert.ok(client.logs.lines().some((line) => line.msg === 'push stream connected again after failures'))
  })

  test('the backoff starts over after a connection that delivered records', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { reconnectMinMs: 20, reconnectMaxMs: 1000, random: () => 1 })
    for (let n = 1; n <= 3; n++) (await fake.request(n)).fail(503)
    const fourth = await fake.request(4)
    await fourth.write(recordLine('1'))
    fourth.end()
    ;(await fake.request(5)).fail(503)
    await fake.request(6)
    // The waits the client chose, as it logs them (the gaps between requests only bound them from below: at load 20
    // the 20 ms wait after the reset took 145 ms). Without the reset the 5th would be the 4th failure in a row: 160 ms.
    const waits = linesWithCode(client.logs, 'WEIBO_ERR_STREAM_HTTP').map((line) => (line.pushStream as { retryInMs: number }).retryInMs)
    assert.deepEqual(waits, [20, 40, 80, 20])
  })

  test('"Ip is limited" (HTTP 403): one fatal line telling the operator, retries every reconnectMaxMs, heals without a restart', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { reconnectMinMs: 5, reconnectMaxMs: 40 })
    for (let n = 1; n <= 3; n++) (await fake.request(n)).fail(403, IP_LIMITED)
    const fourth = await fake.request(4)
    const fatal = linesWithCode(client.logs, 'WEIBO_ERR_STREAM_IP_LIMITED').filter((line) => line.level === 60)
    assert.equal(fatal.length, 1, 'fatal once per streak')
    assert.match(String(fatal[0]?.msg), /Ip is limited.*IP list of subscription 1001/)
    assert.deepEqual(fatal[0]?.pushStream, { subid: '1001', reason: 'rejected', records: 0, durationMs: (fatal[0]?.pushStream as { durationMs: number }).durationMs, status: 403, errorCode: 10004, error: 'Ip is limited', code: 'WEIBO_ERR_STREAM_IP_LIMITED', retryInMs: 40 })
    assert.equal(linesWithCode(client.logs, 'WEIBO_ERR_STREAM_IP_LIMITED').filter((line) => line.level === 40).length, 2, 'later refusals at warn')
    const gaps = fake.requests.slice(1).map((request, i) => request.at - (fake.requests[i]?.at ?? 0))
    assert.ok(gaps.every((gap) => gap >= 35), `retried at reconnectMaxMs: ${gaps.map(Math.round).join(', ')}`)
    assert.deepEqual(client.closes, ['ip-limited', 'ip-limited', 'ip-limited'])

    await fourth.write(recordLine('7'))
    await waitFor(() => client.records.length === 1)
    assert.ok(client.logs.lines().some((line) => line.level === 30 && /accepts this server's IP/.test(String(line.msg))))
  })

  test('"Ip is limited" as the first line of a 200 answer is refused the same way', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { reconnectMaxMs: 30 })
    ;(await fake.request(1)).end(`${IP_LIMITED}\r\n`)
    await fake.request(2)
    assert.equal(linesWithCode(client.logs, 'WEIBO_ERR_STREAM_IP_LIMITED').length, 1)
    assert.deepEqual(client.closes, ['ip-limited'])
    assert.equal(client.outcomes.length, 0, 'the error is not taken for a record')
  })

  test('another Weibo error JSON in a 200 answer: a coded warning with Weibo\'s code, and backoff', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake)
    ;(await fake.request(1)).end('{"request":"/commercial/push","error_code":10001,"error":"system error"}\r\n')
    await fake.request(2)
    const [warning] = linesWithCode(client.logs, 'WEIBO_ERR_STREAM_HTTP')
    assert.equal((warning?.pushStream as { errorCode: number }).errorCode, 10001)
    assert.equal((warning?.pushStream as { error: string }).error, 'system error')
  })

  test('nothing listening: a network failure is warned with its reason and retried', async (t) => {
    const port = await freePort()
    const fake = { url: `http://127.0.0.1:${port}/commercial/push`, requests: [], request: async () => { throw new Error('unused') }, close: async () => {} }
    const client = startTestClient(t, fake, { reconnectMinMs: 10, reconnectMaxMs: 20 })
    await waitFor(() => client.closes.length >= 2)
    const [warning] = linesWithCode(client.logs, 'WEIBO_ERR_STREAM_HTTP')
    assert.match(String((warning?.pushStream as { error: string }).error), /ECONNREFUSED/)
    assert.equal(client.stream.connected, false)
  })

  test('a last line cut short when the stream ends: not delivered, and since_id not moved past it', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake)
    const first = await fake.request(1)
    await first.write(recordLine('11'))
    first.end('{"id":12,"text":{"type":"status","ev')
    const second = await fake.request(2)
    assert.equal(second.sinceId, '11', 'asked again')
    assert.equal(linesWithCode(client.logs, 'WEIBO_ERR_STREAM_RECORD_INVALID').length, 1)
    second.end(recordLine('12').trim()) // whole, just without its CRLF: delivered
    await waitFor(() => client.records.length === 2)
    assert.equal((await fake.request(3)).sinceId, '12')
  })

  test('the log never carries the full request URL unredacted', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { url: `${fake.url}?access_token=secret-token` })
    ;(await fake.request(1)).end(recordLine('1'))
    await fake.request(2)
    assert.ok(!client.logs.text().includes('secret-token'))
    assert.ok(client.logs.text().includes('subid=1001'))
  })

  test('a store that cannot load yet: retried before connecting, never a start without the position', async (t) => {
    const fake = await startFakeStream(t)
    let loads = 0
    const sinceIds = { ...createMemorySinceIdStore('42'), load: async () => { if (++loads === 1) throw new Error('Redis is down'); return '42' } }
    const client = startTestClient(t, fake, { sinceIds })
    assert.equal((await fake.request(1)).sinceId, '42')
    assert.equal(loads, 2)
    assert.ok(client.logs.lines().some((line) => line.level === 40 && /cannot load the saved push stream position/.test(String(line.msg))))
  })

  test('an observer that throws does not stop the stream', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { observer: { record: () => { throw new Error('metrics broke') }, connected: () => { throw new Error('metrics broke') } } })
    const first = await fake.request(1)
    await first.write(recordLine('1') + recordLine('2'))
    await waitFor(() => client.records.length === 2)
    first.end()
    await fake.request(2)
  })
})

describe('reconnect storms: "Ip is limited" in any body and status, invalid-only connections, the hourly budget', () => {
  const variants = [
    { name: 'plain text, HTTP 200', status: 200, body: 'Ip is limited' },
    { name: 'plain text, HTTP 403', status: 403, body: 'Ip is limited' },
    { name: 'JSON, HTTP 200', status: 200, body: IP_LIMITED },
    { name: 'JSON, HTTP 403', status: 403, body: IP_LIMITED }
  ]
  for (const variant of variants) {
    test(`"Ip is limited" as ${variant.name}: recognised, one fatal line, then the backoff (default timings)`, async (t) => {
      const fake = await startFakeStream(t)
      // Default reconnect timings: the storm was 112 attempts in 6 s.
      const client = startTestClient(t, fake, { reconnectMinMs: 1000, reconnectMaxMs: 60_000 })
      const started = performance.now()
      const answered = new Set<unknown>()
      while (performance.now() - started < 2500) {
        for (const request of fake.requests.filter((candidate) => !answered.has(candidate))) {
          answered.add(request)
          if (variant.status === 200) request.end(variant.body)
          else request.fail(variant.status, variant.body)
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.equal(fake.requests.length, 1, 'the next attempt waits for the backoff (reconnectMaxMs)')
      const fatal = linesWithCode(client.logs, 'WEIBO_ERR_STREAM_IP_LIMITED').filter((line) => line.level === 60)
      assert.equal(fatal.length, 1)
      assert.equal(linesWithCode(client.logs, 'WEIBO_ERR_STREAM_RECORD_INVALID').length, 0, 'not taken for a record')
      assert.ok(!client.logs.lines().some((line) => /accepts this server's IP/.test(String(line.msg))), 'never said to be healed')
      assert.equal(client.outcomes.length, 0)
    })
  }

  test('a connection that delivers only invalid lines and closes is a failure: growing waits, no "connected again"', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { reconnectMinMs: 20, reconnectMaxMs: 400, random: () => 0.5 })
    for (let n = 1; n <= 5; n++) (await fake.request(n)).end('not a record\r\nnor this\r\n')
    const gaps = fake.requests.slice(1).map((request, i) => request.at - (fake.requests[i]?.at ?? 0))
    // 20 × 2^(n-1), jittered to 75 %: 15, 30, 60, 120 ms at least.
    assert.ok(gaps.every((gap, i) => gap >= 15 * 2 ** i - 5), `waits grow: ${gaps.map(Math.round).join(', ')}`)
    assert.ok(!client.logs.lines().some((line) => /connected again/.test(String(line.msg))))
  })

  test('the hourly connection budget is never passed, whatever fails, and running out is said once', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { reconnectMinMs: 1, reconnectMaxMs: 2, connectsPerHour: 3 })
    const answered = new Set<unknown>()
    const failNew = (): void => {
      for (const request of fake.requests.filter((candidate) => !answered.has(candidate))) {
        answered.add(request)
        request.fail(500, '<html>502</html>')
      }
    }
    // Until the client says the budget is spent, not for a fixed 500 ms (at load 10 only one connection came in it);
    // then a while longer, in which a connection past the budget would come.
    await waitFor(() => { failNew(); return linesWithCode(client.logs, 'WEIBO_ERR_STREAM_CONNECT_BUDGET').length > 0 }, 20_000, 10)
    await new Promise((resolve) => setTimeout(resolve, 200))
    failNew()
    assert.equal(fake.requests.length, 3)
    assert.equal(linesWithCode(client.logs, 'WEIBO_ERR_STREAM_CONNECT_BUDGET').length, 1)
  })
})

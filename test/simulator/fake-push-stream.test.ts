import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { isLosslessNumber, parse } from 'lossless-json'
import type { FakeWeiboApiOptions } from '../../src/simulator/fake-weibo-api.ts'
import { formatWeiboDate } from '../../src/simulator/push-factory.ts'
import { startSimulator } from '../../src/simulator/simulator.ts'
import { ACCOUNT, FAN, HOUR, START, startFakeApi, type FakeApiFixture } from '../helpers/simulator-api.ts'

/** A stream client just good enough to test the fake: CRLF-separated lines, decoded as UTF-8 once whole. */
interface StreamReader {
  status: number
  contentType: string | null
  /** Resolves with the next n lines (without CRLF); rejects when the stream ends or fails first. */
  lines: (n: number) => Promise<string[]>
  /** Reads to the end: the lines not yet taken and how the stream ended. */
  rest: () => Promise<{ lines: string[], ended: 'clean' | 'error' }>
  /** How many chunks arrived, to see a fragmented write. */
  readonly chunks: number
  cancel: () => Promise<void>
}

async function openStream (t: TestContext, baseUrl: string, query = 'subid=1000'): Promise<StreamReader> {
  const response = await fetch(`${baseUrl}/commercial/push?${query}`)
  if (response.status !== 200) assert.fail(`HTTP ${response.status}: ${await response.text()}`)
  const reader = response.body?.getReader()
  assert.ok(reader !== undefined)
  t.after(async () => { await reader.cancel().catch(() => {}) })
  let buffered = Buffer.alloc(0)
  const ready: string[] = []
  let chunks = 0
  const take = (): void => {
    for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
      ready.push(buffered.subarray(0, end).toString('utf8'))
      buffered = buffered.subarray(end + 2)
    }
  }
  const readMore = async (): Promise<boolean> => {
    const { done, value } = await reader.read()
    if (done) return false
    chunks++
    buffered = Buffer.concat([buffered, value])
    take()
    return true
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    async lines (n) {
      while (ready.length < n) {
        if (!await readMore()) throw new Error(`the stream ended after ${ready.length} of ${n} lines`)
      }
      return ready.splice(0, n)
    },
    async rest () {
      let ended: 'clean' | 'error' = 'clean'
      try {
        while (await readMore());
      } catch {
        ended = 'error'
      }
      return { lines: ready.splice(0), ended }
    },
    get chunks () { return chunks },
    cancel: async () => { await reader.cancel() }
  }
}

const LONG = { idleCloseMs: 60_000, maxConnectionMs: 60_000 }

async function listening (t: TestContext, options: Partial<FakeWeiboApiOptions> = {}): Promise<FakeApiFixture & { baseUrl: string }> {
  const fixture = startFakeApi(t, { pushStream: LONG, ...options })
  return { ...fixture, baseUrl: await fixture.api.listen() }
}

const dataIds = (lines: string[]): string[] => lines.map((line) => String((parse(line) as { id: unknown }).id))

describe('fake commercial/push: records', () => {
  it('writes the record shape of protocol §8, ids as bare JSON numbers, the author known to the DM route', async (t) => {
    const { api, baseUrl } = await listening(t)
    const status = api.pushStream.publish({ text: '不是说好了吗', keyword: '不是' })
    const comment = api.pushStream.publish({ type: 'comment', text: '好评', uid: '1234567890', matchUid: '1234567890' })
    const stream = await openStream(t, baseUrl)
    assert.equal(stream.contentType, 'text/plain; charset=utf-8')
    const [statusLine, commentLine] = await stream.lines(2)
    const createdAt = formatWeiboDate(new Date(START))
    assert.equal(statusLine, `{"id":1400000000000001,"text":{"type":"status","event":"add","status":{"created_at":"${createdAt}",` +
      `"id":3700000000000001,"mid":"3700000000000001","text":"不是说好了吗","user":{"id":${FAN},"screen_name":"fan_${FAN}"}}},` +
      '"match_info":{"keyword":"不是","uid":0}}')
    assert.deepEqual(JSON.parse(commentLine ?? ''), {
      id: 1400000000000002,
      text: {
        type: 'comment',
        event: 'add',
        comment: {
          created_at: createdAt,
          id: 3700000000000002,
          mid: '3700000000000002',
          text: '好评',
          user: { id: 1234567890, screen_name: 'fan_1234567890' },
          status: { id: 3700000000000003, mid: '3700000000000003', text: '今天上新，欢迎评论', user: { id: Number(ACCOUNT), screen_name: `fan_${ACCOUNT}` } }
        }
      },
      match_info: { keyword: '', uid: 1234567890 }
    })
    assert.equal(status.id, '1400000000000001')
    assert.equal(comment.text.type === 'comment' ? comment.text.comment.user.id : undefined, '1234567890')
    assert.ok(Object.isFrozen(status.text), 'records are read-only')
    assert.deepEqual(api.pushStream.records, [status, comment])
  })

  it('writes a caller-given id above 2^53 digit for digit', async (t) => {
    const { api, baseUrl } = await listening(t)
    const record = api.pushStream.publish({ text: 'big', id: '9223372036854775807', weiboId: '9007199254740993', mentions: ['9007199254740995'] })
    assert.equal(record.id, '9223372036854775807')
    const [line = ''] = await (await openStream(t, baseUrl)).lines(1)
    assert.ok(line.startsWith('{"id":9223372036854775807,'), line)
    const parsed = parse(line) as { id: unknown, text: { status: { id: unknown, mid: unknown, mentions: unknown[] } } }
    assert.ok(isLosslessNumber(parsed.id))
    assert.equal(String(parsed.id), '9223372036854775807')
    assert.equal(String(parsed.text.status.id), '9007199254740993')
    assert.equal(parsed.text.status.mid, '9007199254740993', 'mid stays a string')
    assert.equal(String(parsed.text.status.mentions[0]), '9007199254740995')
    assert.throws(() => api.pushStream.publish({ text: 'again', id: '9223372036854775807' }), /already has the data id/)
    assert.throws(() => api.pushStream.publish({ text: 'x', id: '12a' }), TypeError)
  })

  it('replays the newest 100 in order when since_id is omitted', async (t) => {
    const { api, baseUrl } = await listening(t)
    const published = Array.from({ length: 120 }, (_, index) => api.pushStream.publish({ text: `第${index}条` }))
    const stream = await openStream(t, baseUrl)
    assert.deepEqual(dataIds(await stream.lines(100)), published.slice(20).map((record) => record.id))
    const connection = await api.pushStream.waitForConnection()
    assert.deepEqual({ sinceId: connection.sinceId, resumed: connection.resumed, replayed: connection.replayed }, { sinceId: undefined, resumed: false, replayed: 100 })
  })

  it('resumes after a known since_id, and treats an unknown or malformed one as omitted', async (t) => {
    const { api, baseUrl } = await listening(t, { pushStream: { ...LONG, replayCount: 3 } })
    const published = Array.from({ length: 6 }, (_, index) => api.pushStream.publish({ text: `${index}` }))
    const ids = published.map((record) => record.id)
    const resumed = await openStream(t, baseUrl, `subid=1000&since_id=${ids[1] ?? ''}`)
    assert.deepEqual(dataIds(await resumed.lines(4)), ids.slice(2))
    for (const sinceId of ['1400000000099999', 'abc', '']) {
      const stream = await openStream(t, baseUrl, `subid=1000&since_id=${sinceId}`)
      assert.deepEqual(dataIds(await stream.lines(3)), ids.slice(3), sinceId)
    }
    const connections = [await api.pushStream.waitForConnection(), await api.pushStream.waitForConnection()]
    assert.deepEqual(connections.map((connection) => [connection.sinceId, connection.resumed, connection.replayed]), [
      [ids[1], true, 4], ['1400000000099999', false, 3]
    ])
  })

  it('forgets records past retention, by the fake\'s clock', async (t) => {
    const { api, baseUrl, clock } = await listening(t)
    const old = api.pushStream.publish({ text: '旧的' })
    clock.advance(72 * HOUR)
    const kept = api.pushStream.publish({ text: '72 小时后' })
    clock.advance(1)
    const recent = api.pushStream.publish({ text: '新的' })
    assert.deepEqual(api.pushStream.records.map((record) => record.id), [kept.id, recent.id])
    const stream = await openStream(t, baseUrl, `subid=1000&since_id=${old.id}`)
    assert.deepEqual(dataIds(await stream.lines(2)), [kept.id, recent.id], 'a since_id past retention is treated as omitted')
    api.pushStream.clear()
    assert.deepEqual(api.pushStream.records, [])
    assert.notEqual(api.pushStream.publish({ text: 'after clear' }).id, old.id, 'ids keep counting up')
  })

  it('keeps at most maxRecords, and checks its options', (t) => {
    const { api } = startFakeApi(t, { pushStream: { maxRecords: 3 } })
    const published = Array.from({ length: 5 }, (_, index) => api.pushStream.publish({ text: `${index}` }))
    assert.deepEqual(api.pushStream.records, published.slice(2))
    assert.throws(() => startFakeApi(t, { pushStream: { idleCloseMs: 0 } }), RangeError)
    assert.throws(() => startFakeApi(t, { pushStream: { subid: 'abc' } }), TypeError)
  })

  it('writes live records to every open connection', async (t) => {
    const { api, baseUrl } = await listening(t)
    const first = await openStream(t, baseUrl)
    const second = await openStream(t, baseUrl)
    await api.pushStream.waitForConnection()
    await api.pushStream.waitForConnection()
    assert.equal(api.pushStream.connections, 2)
    const record = api.pushStream.publish({ text: '直播开始' })
    assert.deepEqual(dataIds(await first.lines(1)), [record.id])
    assert.deepEqual(dataIds(await second.lines(1)), [record.id])
  })
})

describe('startSimulator and the push stream', () => {
  it('exposes the stream URL and publisher, with its options passed through', async (t) => {
    const sim = await startSimulator({ secret: undefined, accessToken: 'token', pushStream: { ...LONG, subid: '42', replayCount: 1 } })
    t.after(async () => { await sim.close() })
    assert.equal(sim.pushStreamUrl, `${sim.apiBaseUrl}/commercial/push`)
    assert.equal(sim.pushStream, sim.api.pushStream)
    assert.equal(sim.pushStream.subid, '42')
    sim.pushStream.publish({ text: 'one' })
    const two = sim.pushStream.publish({ text: 'two' })
    const response = await fetch(`${sim.pushStreamUrl}?subid=42`)
    const reader = response.body?.getReader()
    const first = await reader?.read()
    assert.deepEqual(dataIds(Buffer.from(first?.value ?? []).toString('utf8').split('\r\n').filter((line) => line !== '')), [two.id])
    await reader?.cancel()
  })
})

describe('fake commercial/push: framing hooks', () => {
  it('splits a fragmented record inside a multi-byte character and inside the CRLF', async () => {
    const { fragmentLine } = await import('../../src/simulator/fake-push-stream-route.ts')
    const line = Buffer.from('{"text":"微博"}\r\n')
    const chunks = fragmentLine(line)
    assert.deepEqual(Buffer.concat(chunks), line)
    assert.ok(chunks.some((chunk) => Buffer.from(chunk).toString('utf8').includes('\uFFFD')), 'a chunk ends inside 微')
    assert.deepEqual([...(chunks.at(-1) ?? [])], [0x0a], 'the LF comes alone')
    assert.equal(Buffer.from(chunks.at(-2) ?? []).at(-1), 0x0d)
  })

  it('fragmented writes reassemble to the same records', async (t) => {
    const { api, baseUrl } = await listening(t, { pushStream: { ...LONG, fragment: true } })
    const replayed = api.pushStream.publish({ text: '回放的记录：微博' })
    const stream = await openStream(t, baseUrl)
    const live = [api.pushStream.publish({ text: '分片的记录' }), api.pushStream.publish({ text: 'ascii only' }, { fragment: false }), api.pushStream.publish({ text: '第三条 🎉' })]
    const lines = await stream.lines(4)
    assert.deepEqual(dataIds(lines), [replayed, ...live].map((record) => record.id))
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as { text: { status: { text: string } } }).text.status.text), ['回放的记录：微博', '分片的记录', 'ascii only', '第三条 🎉'])
    assert.ok(stream.chunks > 4, `the records came in pieces (${stream.chunks} chunks)`)
  })

  it('publishRaw writes exact bytes, a bad record or a hand-made split, and stores nothing', async (t) => {
    const { api, baseUrl } = await listening(t)
    const stream = await openStream(t, baseUrl)
    await api.pushStream.waitForConnection()
    assert.equal(api.pushStream.publishRaw('{"id":1400000000000999,"text":\r\n'), 1)
    const whole = Buffer.from('{"text":"微"}\r\n')
    api.pushStream.publishRaw(whole.subarray(0, 10))
    api.pushStream.publishRaw(whole.subarray(10))
    const record = api.pushStream.publish({ text: 'after the bad one' })
    const lines = await stream.lines(3)
    assert.deepEqual(lines.slice(0, 2), ['{"id":1400000000000999,"text":', '{"text":"微"}'])
    assert.deepEqual(dataIds(lines.slice(2)), [record.id])
    assert.deepEqual(api.pushStream.records, [record])
  })
})

describe('fake commercial/push: connection policy', () => {
  it('ends a connection cleanly after idleCloseMs without a write, and a write postpones it', async (t) => {
    // The write must land inside the idle window: 300 ms into a 1 s window leaves a loaded machine 700 ms of lateness
    // (a 120 ms wait in a 200 ms window failed when timers ran 80 ms late). Timers never fire early, so the end is
    // at least idleCloseMs after the write however late everything runs.
    const { api, baseUrl } = await listening(t, { pushStream: { idleCloseMs: 1000, maxConnectionMs: 60_000 } })
    const stream = await openStream(t, baseUrl)
    const connection = await api.pushStream.waitForConnection()
    await new Promise((resolve) => setTimeout(resolve, 300))
    const written = performance.now()
    const record = api.pushStream.publish({ text: '还在' })
    const { lines, ended } = await stream.rest()
    const sinceWrite = performance.now() - written
    assert.deepEqual([dataIds(lines), ended, await connection.closed], [[record.id], 'clean', 'idle'])
    assert.ok(sinceWrite >= 1000, `ended ${Math.round(sinceWrite)} ms after the write, within idleCloseMs of it`)
    assert.equal(api.pushStream.connections, 0)
  })

  it('ends a connection after maxConnectionMs however busy it is', async (t) => {
    const { api, baseUrl } = await listening(t, { pushStream: { idleCloseMs: 200, maxConnectionMs: 300 } })
    const started = performance.now()
    const stream = await openStream(t, baseUrl)
    const connection = await api.pushStream.waitForConnection()
    const ticker = setInterval(() => { api.pushStream.publish({ text: 'tick' }) }, 40)
    t.after(() => { clearInterval(ticker) })
    const { ended } = await stream.rest()
    clearInterval(ticker)
    const elapsed = performance.now() - started
    assert.equal(ended, 'clean')
    assert.equal(await connection.closed, 'max-time')
    assert.ok(elapsed >= 290, `ended after ${Math.round(elapsed)} ms`) // 'max-time' above says why; a loaded machine may end it later
  })

  it('endConnections() ends cleanly and dropConnections() destroys the socket', async (t) => {
    const { api, baseUrl } = await listening(t)
    const ended = await openStream(t, baseUrl)
    const first = await api.pushStream.waitForConnection()
    await api.pushStream.endConnections()
    assert.deepEqual([(await ended.rest()).ended, await first.closed], ['clean', 'ended'])

    const dropped = await openStream(t, baseUrl)
    const second = await api.pushStream.waitForConnection()
    api.pushStream.dropConnections()
    assert.deepEqual([(await dropped.rest()).ended, await second.closed], ['error', 'dropped'])
  })

  it('knows when the client goes away first', async (t) => {
    const { api, baseUrl } = await listening(t)
    const stream = await openStream(t, baseUrl)
    const connection = await api.pushStream.waitForConnection()
    await stream.cancel()
    assert.equal(await connection.closed, 'client')
    assert.equal(api.pushStream.connections, 0)
  })

  it('close() of the fake ends open streams promptly and cleanly', async (t) => {
    const { api, baseUrl } = await listening(t)
    const stream = await openStream(t, baseUrl)
    const connection = await api.pushStream.waitForConnection()
    const pending = api.pushStream.waitForConnection()
    const started = performance.now()
    await api.close()
    assert.ok(performance.now() - started < 500, 'closed without waiting for the stream timers')
    assert.deepEqual([(await stream.rest()).ended, await connection.closed], ['clean', 'closing'])
    await assert.rejects(pending, /closed before a push-stream client connected/)
  })

  it('logs the stream call with its params and a summary that ends with the close reason', async (t) => {
    const { api, baseUrl } = await listening(t)
    const record = api.pushStream.publish({ text: '一条' })
    const stream = await openStream(t, baseUrl, `subid=1000&since_id=${record.id}`)
    const connection = await api.pushStream.waitForConnection()
    api.pushStream.publish({ text: '两条' })
    await stream.lines(1)
    await api.pushStream.endConnections()
    await connection.closed
    const [call] = api.calls
    assert.equal(call?.path, '/commercial/push')
    assert.equal(call.method, 'GET')
    assert.deepEqual(call.params, { subid: '1000', since_id: record.id })
    assert.equal(call.status, 200)
    const summary = call.response as { bytes: number }
    assert.ok(summary.bytes > 100)
    assert.deepEqual(call.response, {
      contentType: 'text/plain; charset=utf-8', sinceId: record.id, resumed: true, replayed: 0, bytes: summary.bytes, closed: 'ended'
    })
  })
})

describe('fake commercial/push: refusals', () => {
  const refusal = async (baseUrl: string, query: string, init?: RequestInit): Promise<[number, unknown]> => {
    const response = await fetch(`${baseUrl}/commercial/push${query}`, init)
    return [response.status, await response.json()]
  }

  it('refuses a missing or wrong subid with Weibo error JSON', async (t) => {
    const { baseUrl } = await listening(t, { pushStream: { ...LONG, subid: '20250' } })
    assert.deepEqual(await refusal(baseUrl, ''), [400, { request: '/commercial/push', error_code: 10016, error: 'miss required parameter: subid' }])
    assert.deepEqual(await refusal(baseUrl, '?subid=1000'), [400, {
      request: '/commercial/push', error_code: 10017, error: 'parameter value invalid: subid 1000 is not a subscription of this app'
    }])
    assert.equal((await refusal(baseUrl, '?subid=abc'))[0], 400)
    assert.equal((await refusal(baseUrl, '?subid=20250', { method: 'POST' }))[0], 405)
  })

  it('answers "Ip is limited" (10004, HTTP 403) while the IP is limited, and as a fault', async (t) => {
    const { api, baseUrl } = await listening(t)
    const ipLimited = [403, { request: '/commercial/push', error_code: 10004, error: 'Ip is limited' }]
    api.pushStream.limitIp(true)
    assert.deepEqual(await refusal(baseUrl, '?subid=1000'), ipLimited)
    assert.deepEqual(await refusal(baseUrl, '?subid=1000'), ipLimited, 'until lifted')
    api.pushStream.limitIp(false)
    await (await openStream(t, baseUrl)).cancel()
    api.faults.inject({ kind: 'ip-limited' })
    assert.deepEqual(await refusal(baseUrl, '?subid=1000'), ipLimited)
    assert.equal(api.calls.at(-1)?.fault, 'ip-limited')
  })

  it('plays the usual faults on the stream route', async (t) => {
    const { api, baseUrl } = await listening(t)
    api.faults.inject({ kind: 'system-error' })
    assert.deepEqual(await refusal(baseUrl, '?subid=1000'), [500, { request: '/commercial/push', error_code: 10001, error: 'system error' }])
    api.faults.inject({ kind: 'drop' })
    await assert.rejects(fetch(`${baseUrl}/commercial/push?subid=1000`), TypeError)
    api.faults.inject({ kind: 'server-error', status: 503 })
    assert.equal((await fetch(`${baseUrl}/commercial/push?subid=1000`)).status, 503)
    const stream = await openStream(t, baseUrl)
    assert.equal(stream.status, 200, 'the queue is empty again')
  })
})

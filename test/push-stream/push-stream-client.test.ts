import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createMemorySinceIdStore } from '../../src/push-stream/memory-since-id-store.ts'
import type { StreamRecord } from '../../src/push-stream/stream-record.ts'
import { deferred, waitFor, type Deferred } from '../helpers/deferred.ts'
import { linesWithCode, recordLine, startFakeStream, startTestClient } from '../helpers/push-stream.ts'

describe('push stream client: records', () => {
  test('connects with subid, delivers records split anywhere across chunks, ids exact', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake)
    const first = await fake.request(1)
    assert.equal(first.subid, '1001')
    assert.equal(first.sinceId, null, 'a first run asks for no since_id')
    const bytes = Buffer.from(recordLine('4404160103598340001', { text: '你好，微博' }) + '\r\n' + recordLine('4404160103598340002').replace('\r\n', '\n'))
    const cut = bytes.indexOf(Buffer.from('微', 'utf8')) + 2 // inside the 3-byte character
    const crlf = bytes.indexOf('\r\n') + 1 // between \r and \n
    for (const [start, end] of [[0, 10], [10, cut], [cut, crlf], [crlf, bytes.length]] as const) await first.write(bytes.subarray(start, end))
    await waitFor(() => client.records.length === 2)
    assert.deepEqual(client.records.map((record) => record.id), ['4404160103598340001', '4404160103598340002'])
    assert.equal(client.records[0]?.text.status?.text, '你好，微博')
    assert.equal(client.stream.connected, true)
    assert.equal(client.stream.sinceId, '4404160103598340002')
  })

  test('a bad record is survived: logged with an excerpt, the next one delivered, since_id moved past it', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { maxLineBytes: 1024 })
    const first = await fake.request(1)
    await first.write('this is not json\r\n')
    await first.write(recordLine('101'))
    await first.write(recordLine('102', { text: 'x'.repeat(5000) })) // over maxLineBytes: dropped
    await first.write('{"id":103,"text":{"type":"status","event":"add","status":{"id":1}}}\r\n') // no status.text
    await first.write(recordLine('104'))
    await first.write('{"id":105,"text":{"type":"sta') // cut JSON
    first.end('\r\n')
    const second = await fake.request(2)
    assert.equal(second.sinceId, '105', 'moved past the records that failed to parse')
    assert.deepEqual(client.records.map((record) => record.id), ['101', '104'])
    assert.deepEqual(client.outcomes.filter((outcome) => outcome === 'invalid').length, 4)
    const warnings = linesWithCode(client.logs, 'WEIBO_ERR_STREAM_RECORD_INVALID')
    assert.equal(warnings.length, 4)
    assert.equal((warnings[0]?.pushStream as { excerpt: string }).excerpt, 'this is not json')
    assert.ok(warnings.every((line) => (line.pushStream as { excerpt: string }).excerpt.length <= 200), 'excerpts are bounded')
  })

  test('reconnects at once when Weibo ends the response, with since_id = the last record received', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { reconnectMinMs: 5000, reconnectMaxMs: 5000 })
    const first = await fake.request(1)
    await first.write(recordLine('201') + recordLine('202'))
    first.end()
    const second = await fake.request(2, 1000) // well before the 5 s error backoff
    assert.equal(second.sinceId, '202')
    assert.deepEqual(client.closes, ['end'])
    await second.write(recordLine('203'))
    await waitFor(() => client.records.length === 3)
  })

  test('a connection silent past idleTimeoutMs is aborted and reopened with since_id', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { idleTimeoutMs: 200 })
    const first = await fake.request(1)
    // Taken before the write: the client's idle time starts when the record reaches it, and this process may resume
    // after the await much later (at load 10, 80 ms later: "aborted after 118 ms" for a 200 ms idle timeout).
    const wrote = performance.now()
    await first.write(recordLine('301'))
    await first.closed // the client hung up
    const second = await fake.request(2)
    assert.ok(second.at - wrote >= 180, `aborted after ${Math.round(second.at - wrote)} ms`)
    assert.equal(second.sinceId, '301')
    assert.deepEqual(client.closes, ['idle'])
    assert.equal(client.logs.lines().filter((line) => /sent nothing for idleTimeoutMs/.test(String(line.msg))).length, 1)
  })

  test('the same id twice reaches the consumer once; a non-add record is skipped', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake)
    const first = await fake.request(1)
    await first.write(recordLine('401') + recordLine('401') + recordLine('402', { event: 'delete' }) + recordLine('403'))
    await waitFor(() => client.outcomes.length === 4)
    assert.deepEqual(client.records.map((record) => record.id), ['401', '403'])
    assert.deepEqual(client.outcomes.toSorted(), ['duplicate', 'handled', 'handled', 'skipped'])
  })
})

describe('push stream client: flow control and position', () => {
  test('backpressure: never more than maxInFlight records in the consumer at once', async (t) => {
    const fake = await startFakeStream(t)
    const gates: Array<Deferred<void>> = []
    let running = 0
    let peak = 0
    const client = startTestClient(t, fake, {
      maxInFlight: 2,
      onRecord: async () => {
        running++
        peak = Math.max(peak, running)
        const gate = deferred()
        gates.push(gate)
        await gate.promise
        running--
      }
    })
    const first = await fake.request(1)
    await first.write(Array.from({ length: 6 }, (_, i) => recordLine(String(501 + i))).join(''))
    await waitFor(() => gates.length === 2)
    await new Promise((resolve) => setTimeout(resolve, 100)) // a chance to (wrongly) take a third
    assert.equal(gates.length, 2)
    assert.equal(client.stream.sinceId, '502', 'reading stopped at the limit')
    for (let i = 0; i < 6; i++) {
      await waitFor(() => gates.length > i)
      gates[i]?.resolve()
    }
    await waitFor(() => client.outcomes.length === 6)
    assert.equal(peak, 2)
  })

  test('the saved position waits for a slow record: never past a record whose handler has not finished', async (t) => {
    const fake = await startFakeStream(t)
    const sinceIds = createMemorySinceIdStore('600')
    const slow = deferred()
    const client = startTestClient(t, fake, {
      sinceIds,
      onRecord: async (record: StreamRecord) => { if (record.id === '601') await slow.promise }
    })
    const first = await fake.request(1)
    assert.equal(first.sinceId, '600', 'the stored position is loaded before the first connect')
    await first.write(recordLine('601') + recordLine('602'))
    await waitFor(() => client.outcomes.length === 1) // 602 handled, 601 still running
    assert.equal(client.stream.sinceId, '602', 'received')
    assert.equal(sinceIds.saved, '600', 'not saved past 601')
    slow.resolve()
    await waitFor(() => sinceIds.saved === '602')
  })

  test('a consumer that rejects: logged, counted failed, and the position still moves', async (t) => {
    const fake = await startFakeStream(t)
    const sinceIds = createMemorySinceIdStore()
    const client = startTestClient(t, fake, { sinceIds, onRecord: async () => { throw new Error('consumer broke') } })
    const first = await fake.request(1)
    await first.write(recordLine('701'))
    await waitFor(() => sinceIds.saved === '701')
    assert.deepEqual(client.outcomes, ['failed'])
    assert.ok(client.logs.lines().some((line) => line.level === 50 && /consumer failed/.test(String(line.msg))))
  })

  test('close waits for records being handled, up to drainTimeoutMs, then flushes the position', async (t) => {
    const fake = await startFakeStream(t)
    const sinceIds = createMemorySinceIdStore()
    const gate = deferred()
    const client = startTestClient(t, fake, { sinceIds, drainTimeoutMs: 2000, onRecord: async () => { await gate.promise } })
    const first = await fake.request(1)
    await first.write(recordLine('801'))
    await waitFor(() => client.stream.sinceId === '801')
    const closed = client.stream.close()
    await first.closed
    assert.equal(sinceIds.saved, undefined)
    gate.resolve()
    await closed
    assert.equal(sinceIds.saved, '801')
    assert.equal(client.stream.connected, false)
    assert.deepEqual(client.closes, ['stopped'])
    assert.equal(fake.requests.length, 1, 'no reconnect after close')
  })

  test('close gives up on a stuck record after drainTimeoutMs, saying so', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { drainTimeoutMs: 50, onRecord: async () => await new Promise(() => {}) })
    const first = await fake.request(1)
    await first.write(recordLine('901'))
    await waitFor(() => client.stream.sinceId === '901')
    await client.stream.close()
    assert.ok(client.logs.lines().some((line) => (line.pushStream as { abandoned?: number } | undefined)?.abandoned === 1))
  })
})

/**
 * Weibo sends its latest 100 records when there is no since_id (a first start), and silently for a since_id older
 * than three days or illegal. Those are backlog, not news: skipped by default, handed over when asked.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createMemorySinceIdStore } from '../../src/push-stream/memory-since-id-store.ts'
import { waitFor } from '../helpers/deferred.ts'
import { linesWithCode, recordLine, startFakeStream, startTestClient } from '../helpers/push-stream.ts'

const DAY = 86_400_000
const ago = (ms: number): Date => new Date(Date.now() - ms)

describe('push stream backlog', () => {
  test('a first start (no saved position): the latest records Weibo replays are skipped, said once with a code', async (t) => {
    const fake = await startFakeStream(t)
    const sinceIds = createMemorySinceIdStore()
    const client = startTestClient(t, fake, { sinceIds })
    const first = await fake.request(1)
    assert.equal(first.sinceId, null)
    await first.write(recordLine('1', { createdAt: ago(2 * DAY) }) + recordLine('2', { createdAt: ago(3600_000) }) + recordLine('3', { createdAt: ago(10 * 60_000) }))
    await first.write(recordLine('4', { text: 'new' }))
    await waitFor(() => client.outcomes.length === 4)
    assert.deepEqual(client.records.map((record) => record.id), ['4'])
    assert.deepEqual(client.outcomes, ['skipped', 'skipped', 'skipped', 'handled'])
    assert.equal(linesWithCode(client.logs, 'WEIBO_ERR_STREAM_BACKLOG_SKIPPED').length, 1)
    assert.equal(sinceIds.saved, '4', 'the position moves past the backlog')
  })

  test('WEIBO_PUSH_BACKLOG=handle: the first start hands the backlog to handlers', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { backlog: 'handle' })
    await (await fake.request(1)).write(recordLine('1', { createdAt: ago(2 * DAY) }) + recordLine('2'))
    await waitFor(() => client.records.length === 2)
    assert.equal(linesWithCode(client.logs, 'WEIBO_ERR_STREAM_BACKLOG_SKIPPED').length, 0)
  })

  test('resumed from a position older than three days: Weibo\'s fallback records (older than the max age) are skipped; a real replay is handled', async (t) => {
    const fake = await startFakeStream(t)
    const client = startTestClient(t, fake, { sinceIds: createMemorySinceIdStore('100') })
    const first = await fake.request(1)
    assert.equal(first.sinceId, '100')
    await first.write(recordLine('101', { createdAt: ago(4 * DAY) }) + recordLine('102', { createdAt: ago(3 * DAY + 60_000) }))
    // Records written while we were away (less than three days ago) are what since_id asked for: handled.
    await first.write(recordLine('103', { createdAt: ago(2 * DAY) }) + recordLine('104'))
    await waitFor(() => client.outcomes.length === 4)
    assert.deepEqual(client.records.map((record) => record.id), ['103', '104'])
    assert.equal(linesWithCode(client.logs, 'WEIBO_ERR_STREAM_BACKLOG_SKIPPED').length, 1)
  })
})

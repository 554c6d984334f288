import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMemoryStreamDeadLetters } from '../../src/push-stream/memory-stream-dead-letter-store.ts'
import { startStreamReplay } from '../../src/push-stream/stream-replay.ts'
import { parseStreamRecord, type StreamRecord } from '../../src/push-stream/stream-record.ts'
import { waitFor } from '../helpers/deferred.ts'
import { captureLogs } from '../helpers/logs.ts'

test('a requeued dead letter is handed to the dispatcher once; one still listed is not', async (t) => {
  const deadLetters = createMemoryStreamDeadLetters()
  for (const id of [11, 12]) {
    const record = parseStreamRecord(JSON.stringify({ id, text: { type: 'status', event: 'add', status: { id: 1, text: 'x', user: { id: 2 } } } }))
    await deadLetters.add({ id: String(id), record, handler: 'h', code: 'WEIBO_ERR_HANDLER_THREW', message: 'boom', attempts: 1, failedAt: Date.now() })
  }
  const dispatched: StreamRecord[] = []
  let replayed = 0
  const replay = startStreamReplay({
    deadLetters,
    dispatch: async (record) => { dispatched.push(record) },
    logger: captureLogs().logger,
    intervalMs: 10,
    onReplayed: () => { replayed++ }
  })
  t.after(replay.close)
  await deadLetters.requeue(['12'])
  await waitFor(() => dispatched.length === 1, 2000)
  await new Promise((resolve) => setTimeout(resolve, 50)) // a second hand-over would show by now
  assert.deepEqual(dispatched.map((record) => record.id), ['12'])
  assert.equal(replayed, 1)
  assert.deepEqual((await deadLetters.list({ limit: 10 })).entries.map((entry) => entry.id), ['11'])
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { normaliseHandlers } from '../../src/handler-loader.ts'
import { createHandlerRouter } from '../../src/handler-router.ts'
import type { Handler } from '../../src/handler.ts'
import { createMetrics } from '../../src/metrics.ts'
import { createMemoryStreamDeadLetters } from '../../src/push-stream/memory-stream-dead-letter-store.ts'
import type { StreamDeadLetterStore } from '../../src/push-stream/stream-dead-letter-store.ts'
import { createStreamDispatcher } from '../../src/push-stream/stream-dispatcher.ts'
import { parseStreamRecord, type StreamRecord } from '../../src/push-stream/stream-record.ts'
import { WeiboApiError } from '../../src/weibo-api/api-error.ts'
import type { WeiboApiClient } from '../../src/weibo-api/client.ts'
import { captureLogs } from '../helpers/logs.ts'

function record (id = 1404160103598340): StreamRecord {
  return parseStreamRecord(JSON.stringify({ id, text: { type: 'status', event: 'add', status: { id: 3700057402482222, text: '你好', user: { id: 2084126291 } } } }))
}

function setUp (handle: Handler['handle'], options: { attempts?: number, handlerTimeoutMs?: number } = {}): {
  dispatch: (record: StreamRecord) => Promise<void>
  abort: () => void
  deadLetters: StreamDeadLetterStore
  failures: () => Promise<Record<string, number>>
} {
  const logs = captureLogs('debug')
  const router = createHandlerRouter(normaliseHandlers({ file: 'inline.ts', exported: [{ name: 'watcher', on: 'status', handle }] }), logs.logger)
  const deadLetters = createMemoryStreamDeadLetters()
  const metrics = createMetrics({ dedupEntries: () => 0 })
  const dispatcher = createStreamDispatcher({
    router,
    api: {} as WeiboApiClient,
    logger: logs.logger,
    handlerTimeoutMs: options.handlerTimeoutMs ?? 1000,
    metrics,
    attempts: options.attempts ?? 3,
    backoffMs: 10,
    deadLetters
  })
  return {
    dispatch: dispatcher.dispatch,
    abort: dispatcher.abort,
    deadLetters,
    failures: async () => Object.fromEntries((await metrics.streamHandlerFailures.get()).values.map(({ labels, value }) => [String(labels.outcome), value]))
  }
}

const unavailable = (): WeiboApiError => new WeiboApiError('WEIBO_ERR_API_HTTP', { request: '/2/direct_messages/new.json', status: 503, retryable: true })

describe('stream handler failures: bounded retry, then the dead-letter list', () => {
  test('a transient failure (a retryable Weibo API error) runs the handler again, and the second run succeeds', async () => {
    let runs = 0
    const { dispatch, deadLetters, failures } = setUp(() => {
      runs++
      if (runs === 1) throw unavailable()
    })
    await dispatch(record())
    assert.equal(runs, 2)
    assert.equal((await deadLetters.list({ limit: 10 })).total, 0)
    assert.deepEqual(await failures(), { retried: 1 })
  })

  test('a handler timeout and a network failure are transient too', async () => {
    let runs = 0
    const { dispatch, deadLetters } = setUp(async () => {
      runs++
      if (runs === 1) await new Promise((resolve) => setTimeout(resolve, 500)) // past the 50 ms deadline
      if (runs === 2) throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) })
    }, { handlerTimeoutMs: 50 })
    await dispatch(record())
    assert.equal(runs, 3)
    assert.equal((await deadLetters.list({ limit: 10 })).total, 0)
  })

  test('a permanent failure (a plain error) is dead-lettered at once, with its code, message, handler, attempts and time', async () => {
    let runs = 0
    const { dispatch, deadLetters, failures } = setUp(() => {
      runs++
      throw new Error('no such column')
    })
    const before = Date.now()
    await dispatch(record())
    assert.equal(runs, 1)
    const { total, entries: [entry] } = await deadLetters.list({ limit: 10 })
    assert.equal(total, 1)
    assert.ok(entry !== undefined)
    assert.equal(entry.id, '1404160103598340')
    assert.equal(entry.handler, 'watcher')
    assert.equal(entry.code, 'WEIBO_ERR_HANDLER_THREW')
    assert.match(entry.message, /no such column/)
    assert.equal(entry.attempts, 1)
    assert.ok(entry.failedAt >= before && entry.failedAt <= Date.now())
    assert.deepEqual(entry.record, record())
    assert.deepEqual(await failures(), { 'dead-lettered': 1 })
  })

  test('a transient failure on every run is dead-lettered after WEIBO_PUSH_HANDLER_ATTEMPTS runs', async () => {
    let runs = 0
    const { dispatch, deadLetters, failures } = setUp(() => {
      runs++
      throw unavailable()
    }, { attempts: 4 })
    await dispatch(record())
    assert.equal(runs, 4)
    const { entries: [entry] } = await deadLetters.list({ limit: 10 })
    assert.equal(entry?.attempts, 4)
    assert.equal(entry?.code, 'WEIBO_ERR_HANDLER_THREW')
    assert.match(entry?.message ?? '', /HTTP 503/)
    assert.deepEqual(await failures(), { retried: 3, 'dead-lettered': 1 })
  })

  test('a Weibo refusal that cannot pass (retryable false) is not retried', async () => {
    let runs = 0
    const { dispatch, deadLetters } = setUp(() => {
      runs++
      throw new WeiboApiError('WEIBO_ERR_API_REJECTED', { request: '/2/direct_messages/new.json', status: 400, errorCode: 21327, retryable: false })
    })
    await dispatch(record())
    assert.equal(runs, 1)
    assert.equal((await deadLetters.list({ limit: 10 })).total, 1)
  })

  test('shutdown during the backoff dead-letters the record rather than losing it', async () => {
    let runs = 0
    const logs = captureLogs('debug')
    const router = createHandlerRouter(normaliseHandlers({ file: 'inline.ts', exported: [{ on: 'status', handle () { runs++; throw unavailable() } }] }), logs.logger)
    const deadLetters = createMemoryStreamDeadLetters()
    const dispatcher = createStreamDispatcher({ router, api: {} as WeiboApiClient, logger: logs.logger, handlerTimeoutMs: 1000, attempts: 3, backoffMs: 60_000, deadLetters })
    const done = dispatcher.dispatch(record())
    await new Promise((resolve) => setTimeout(resolve, 50))
    dispatcher.abort()
    await done
    assert.equal(runs, 1)
    assert.equal((await deadLetters.list({ limit: 10 })).entries[0]?.attempts, 1)
  })
})

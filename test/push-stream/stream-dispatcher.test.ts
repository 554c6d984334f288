import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { normaliseHandlers } from '../../src/handler-loader.ts'
import { createHandlerRouter } from '../../src/handler-router.ts'
import { parseStreamRecord, type StreamRecord } from '../../src/push-stream/stream-record.ts'
import { createStreamDispatcher } from '../../src/push-stream/stream-dispatcher.ts'
import type { AnyMessage, Handler } from '../../src/handler.ts'
import { text } from '../../src/reply.ts'
import type { WeiboApiClient } from '../../src/weibo-api/client.ts'
import { captureLogs, type CapturedLogs } from '../helpers/logs.ts'

const STATUS_LINE = '{"id":1404160103598340,"text":{"type":"status","event":"add","status":{"created_at":"Wed Apr 16 18:58:11 +0800 2014","id":3700057402482222,"mid":"3700057402482222","text":"不是这样的","user":{"id":2084126291,"screen_name":"小明"}}},"match_info":{"keyword":"不是","uid":0}}'

function record (changes: (raw: Record<string, any>) => void = () => {}): StreamRecord {
  const raw = JSON.parse(STATUS_LINE) as Record<string, any>
  changes(raw)
  return parseStreamRecord(JSON.stringify(raw))
}

function dispatcherFor (handlers: Handler[]): { dispatch: (record: StreamRecord) => Promise<void>, logs: CapturedLogs } {
  const logs = captureLogs('debug')
  const router = createHandlerRouter(normaliseHandlers({ file: 'inline.ts', exported: handlers }), logs.logger)
  const dispatcher = createStreamDispatcher({ router, api: {} as WeiboApiClient, logger: logs.logger, handlerTimeoutMs: 1000 })
  return { dispatch: dispatcher.dispatch, logs }
}

describe('stream records to handlers', () => {
  test('a status record reaches a status handler as a message with its text, author, ids as strings and match_info', async () => {
    const seen: AnyMessage[] = []
    const { dispatch } = dispatcherFor([{ on: 'status', match: /不是/, handle (message) { seen.push(message) } }])
    await dispatch(record())
    const [message] = seen
    assert.ok(message !== undefined && message.type === 'status')
    assert.equal(message.id, '1404160103598340')
    assert.equal(message.text, '不是这样的')
    assert.deepEqual(message.user, { id: '2084126291', screen_name: '小明' })
    assert.equal(message.status.id, '3700057402482222')
    assert.deepEqual(message.match_info, { keyword: '不是', uid: '0' })
  })

  test('a "*" handler or a mention:status handler never gets a stream record', async () => {
    const seen: string[] = []
    const { dispatch, logs } = dispatcherFor([
      { on: '*', handle () { seen.push('*') } },
      { on: 'mention:status', handle () { seen.push('mention') } }
    ])
    await dispatch(record())
    assert.deepEqual(seen, [])
    assert.ok(logs.lines().some((line) => line.msg === 'no handler for this push stream record'))
  })

  test('a comment record goes to comment handlers, not status ones', async () => {
    const seen: string[] = []
    const { dispatch } = dispatcherFor([
      { on: 'status', handle () { seen.push('status') } },
      { on: 'comment', handle (message) { seen.push(`comment:${(message as { text: string }).text}`) } }
    ])
    await dispatch(record((raw) => {
      raw.text = { type: 'comment', event: 'add', comment: { id: 5, text: '评论', user: { id: 7 } } }
    }))
    assert.deepEqual(seen, ['comment:评论'])
  })

  test('a returned reply is not sent; the handler author is told to send a direct message', async () => {
    const { dispatch, logs } = dispatcherFor([{ on: 'status', handle: () => text('谢谢') }])
    await dispatch(record())
    const warning = logs.lines().find((line) => line.level === 40)
    assert.match(String(warning?.msg), /was not sent .*ctx\.api\.directMessages\.send/)
  })

  test('a record of another type is skipped without a handler run', async () => {
    const seen: string[] = []
    const { dispatch } = dispatcherFor([{ on: 'status', handle () { seen.push('status') } }])
    await dispatch(record((raw) => { raw.text = { type: 'article', event: 'add' } }))
    assert.deepEqual(seen, [])
  })

  test('a handler that throws is logged; dispatch does not reject', async () => {
    const { dispatch, logs } = dispatcherFor([{ on: 'status', handle () { throw new Error('boom') } }])
    await dispatch(record())
    assert.ok(logs.lines().some((line) => (line.err as { code?: string } | undefined)?.code === 'WEIBO_ERR_HANDLER_THREW'))
  })
})

describe('stream dispatcher: pending and idle', () => {
  test('idle resolves at once with nothing in flight, and only once every running handler is done', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const logs = captureLogs('info')
    const router = createHandlerRouter(normaliseHandlers({ file: 'inline.ts', exported: [{ on: 'status', handle: async () => { await gate } }] }), logs.logger)
    const dispatcher = createStreamDispatcher({ router, api: {} as WeiboApiClient, logger: logs.logger, handlerTimeoutMs: 1000 })
    assert.equal(dispatcher.pending, 0)
    await dispatcher.idle() // nothing in flight: at once

    const first = dispatcher.dispatch(record())
    const second = dispatcher.dispatch(record((raw) => { raw.id = 1404160103598341 }))
    assert.equal(dispatcher.pending, 2)
    let idle = false
    const waiting = dispatcher.idle().then(() => { idle = true })
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(idle, false, 'idle while handlers run')

    release()
    await Promise.all([first, second, waiting])
    assert.equal(idle, true)
    assert.equal(dispatcher.pending, 0)
  })

  test('a record no handler takes, or a handler that throws, still leaves the dispatcher idle', async () => {
    const logs = captureLogs('info')
    const router = createHandlerRouter(normaliseHandlers({ file: 'inline.ts', exported: [{ on: 'comment', handle () { throw new Error('boom') } }] }), logs.logger)
    const dispatcher = createStreamDispatcher({ router, api: {} as WeiboApiClient, logger: logs.logger, handlerTimeoutMs: 1000 })
    await dispatcher.dispatch(record())
    await dispatcher.dispatch(record((raw) => { raw.text = { type: 'comment', event: 'add', comment: { id: 5, text: '评论', user: { id: 7 } } } }))
    assert.equal(dispatcher.pending, 0)
    await dispatcher.idle()
  })
})

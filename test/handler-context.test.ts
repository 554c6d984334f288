import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { FanbotError } from '../src/errors.ts'
import { RunContext } from '../src/handler-context.ts'
import type { Message } from '../src/message-schema.ts'
import { readPush } from '../src/push-reader.ts'
import type { WeiboApiClient } from '../src/weibo-api/client.ts'
import { captureLogs } from './helpers/logs.ts'
import { fixture } from './helpers/push.ts'

function messageOf (type: string): Message {
  const reading = readPush(fixture(type))
  if (reading.kind !== 'message') throw new Error(`the ${type} fixture should be a message`)
  return reading.message
}

function contextFor (type: string, handler = { name: 'greeter' }): { ctx: RunContext, logs: ReturnType<typeof captureLogs>, downloads: unknown[] } {
  const logs = captureLogs()
  const downloads: unknown[] = []
  const api = { downloadMedia: async (media: unknown) => { downloads.push(media); return { data: Buffer.from('x') } } } as unknown as WeiboApiClient
  const ctx = new RunContext({ handler, message: messageOf(type), dedupKey: 'key-1', api, logger: logs.logger, session: { value: { visits: 1 } } })
  return { ctx, logs, downloads }
}

describe('RunContext (a handler\'s ctx)', () => {
  test('its logger names the handler running when it is first used, and the dedup key', () => {
    const handler = { name: 'middleware' }
    const { ctx, logs } = contextFor('text', handler)
    handler.name = 'auth' // a middleware chain's name follows the middleware that runs
    ctx.log.info('hello')
    assert.deepEqual(logs.lines().map((line) => [line.handler, line.dedupKey, line.msg]), [['auth', 'key-1', 'hello']])
    assert.equal(ctx.log, ctx.log, 'one child logger per run')
  })

  test('the signal fires when the run is stopped, whether it was read before or after', () => {
    const before = contextFor('text').ctx
    const signal = before.signal
    const reason = new FanbotError('WEIBO_ERR_HANDLER_TIMEOUT', { detail: 'test' })
    assert.equal(signal.aborted, false)
    assert.equal(RunContext.stop(before, reason), true)
    assert.equal(signal.reason, reason)
    assert.equal(RunContext.stop(before, new FanbotError('WEIBO_ERR_HANDLER_TIMEOUT')), false, 'stopped once')
    const after = contextFor('text').ctx
    RunContext.stop(after, reason)
    assert.equal(after.signal.aborted, true)
    assert.equal(after.signal.reason, reason)
  })

  test('session and state read and write through; download works destructured', async () => {
    const { ctx, downloads } = contextFor('voice')
    assert.deepEqual(ctx.session, { visits: 1 })
    ctx.session = { visits: 2 }
    assert.deepEqual(ctx.session, { visits: 2 })
    ctx.state.user = 'u1'
    assert.deepEqual(ctx.state, { user: 'u1' })
    const { download } = ctx
    await download()
    assert.equal(downloads.length, 1)
    assert.deepEqual(JSON.parse(JSON.stringify(ctx)), { dedupKey: 'key-1', session: { visits: 2 }, state: { user: 'u1' } })
  })

  test('download of a text push fails with a clear code', async () => {
    const { ctx } = contextFor('text')
    await assert.rejects(ctx.download(), (error: unknown) => error instanceof FanbotError && error.code === 'WEIBO_ERR_API_INVALID_REQUEST' && /greeter is handling a text message/.test(error.message))
  })
})

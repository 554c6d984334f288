import { getEventListeners } from 'node:events'
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { FanbotError } from '../src/errors.ts'
import { normaliseHandlers } from '../src/handler-loader.ts'
import { runHandler, type RunResult } from '../src/handler-runner.ts'
import type { HandlerContext, LoadedHandler } from '../src/handler.ts'
import type { Message } from '../src/message-schema.ts'
import { readPush } from '../src/push-reader.ts'
import { createWeiboApiClient, type WeiboApiClient } from '../src/weibo-api/client.ts'
import { createWeiboHttp } from '../src/weibo-api/http.ts'
import { TEST_TOKEN } from './helpers/config.ts'
import { deferred } from './helpers/deferred.ts'
import { captureLogs, type CapturedLogs } from './helpers/logs.ts'
import { fixture } from './helpers/push.ts'
import { fanWrites, listenFakeApi, sentData } from './helpers/simulator-api.ts'

const DEDUP_KEY = 'dedup-key-123'

function textMessage (): Message {
  const reading = readPush(fixture('text'))
  if (reading.kind !== 'message') throw new Error('the text fixture should be a message')
  return reading.message
}

function handlerOf (spec: Record<string, unknown>): LoadedHandler {
  const [handler] = normaliseHandlers({ file: '/bots/runner-test.ts', exported: { name: 'runner-test', on: 'text', ...spec } })
  if (handler === undefined) throw new Error('no handler')
  return handler
}

/** A real API client; by default pointed at an address nothing listens on, and without a token. */
function apiFor (logs: CapturedLogs, options: { baseUrl?: string, accessToken?: string } = {}): WeiboApiClient {
  const http = createWeiboHttp({
    baseUrl: options.baseUrl ?? 'http://127.0.0.1:9',
    accessToken: options.accessToken,
    timeoutMs: 2000,
    maxRetries: 0,
    retryMinMs: 1,
    logger: logs.logger
  })
  return createWeiboApiClient({ http, saveSenderBox: false })
}

interface Run {
  result: RunResult
  logs: CapturedLogs
  api: WeiboApiClient
}

async function run (handle: LoadedHandler['handle'], options: { timeoutMs?: number, shutdownSignal?: AbortSignal, api?: WeiboApiClient, logs?: CapturedLogs } = {}): Promise<Run> {
  const logs = options.logs ?? captureLogs()
  const api = options.api ?? apiFor(logs)
  const result = await runHandler({
    handler: handlerOf({ handle }),
    message: textMessage(),
    dedupKey: DEDUP_KEY,
    timeoutMs: options.timeoutMs ?? 5000,
    shutdownSignal: options.shutdownSignal ?? new AbortController().signal,
    api,
    logger: logs.logger
  })
  return { result, logs, api }
}

function errorOf (result: RunResult): FanbotError {
  assert.equal(result.status, 'error')
  if (result.status !== 'error') throw new Error('unreachable')
  assert.ok(result.error instanceof FanbotError)
  return result.error
}

function errorLines (logs: CapturedLogs): Array<Record<string, unknown>> {
  return logs.lines().filter((line) => line.level === 50)
}

describe('runHandler: results', () => {
  test('a sync handler returning a valid reply → reply', async () => {
    const { result } = await run(() => ({ type: 'text', text: '你好！' }))
    assert.equal(result.status, 'reply')
    assert.ok(result.status === 'reply')
    assert.deepEqual(result.reply, { type: 'text', text: '你好！' })
    assert.ok(result.durationMs >= 0)
  })

  test('an async handler resolving a valid reply → reply', async () => {
    const { result } = await run(async () => {
      await Promise.resolve()
      return { type: 'articles', articles: [{ display_name: 'news', summary: '', image: 'https://example.com/a.jpg', url: 'https://example.com/a' }] }
    })
    assert.ok(result.status === 'reply')
    assert.equal(result.reply.type, 'articles')
  })

  test('the reply comes back validated: position numbers become the strings Weibo wants', async () => {
    const { result } = await run(() => ({ type: 'position', longitude: 116.308586, latitude: 39.982525 }))
    assert.ok(result.status === 'reply')
    assert.deepEqual(result.reply, { type: 'position', longitude: '116.308586', latitude: '39.982525' })
  })

  test('a handler returning undefined (sync or async) or null → none, nothing logged as error', async () => {
    for (const handle of [() => undefined, async () => undefined, () => null]) {
      const { result, logs } = await run(handle as LoadedHandler['handle'])
      assert.equal(result.status, 'none')
      assert.deepEqual(errorLines(logs), [])
    }
  })

  test('a sync throw → error WEIBO_ERR_HANDLER_THREW with the handler name, the message, and the cause', async () => {
    const thrown = new Error('db down')
    const { result } = await run(() => { throw thrown })
    const error = errorOf(result)
    assert.equal(error.code, 'WEIBO_ERR_HANDLER_THREW')
    assert.match(error.message, /runner-test: db down/)
    assert.equal(error.cause, thrown)
  })

  test('an async rejection → error WEIBO_ERR_HANDLER_THREW', async () => {
    const { result } = await run(async () => { await Promise.resolve(); throw new RangeError('async failure') })
    const error = errorOf(result)
    assert.equal(error.code, 'WEIBO_ERR_HANDLER_THREW')
    assert.match(error.message, /async failure/)
  })

  test('throwing a non-Error value → WEIBO_ERR_HANDLER_THREW carrying its text', async () => {
    const notAnError: unknown = 'plain string'
    const { result } = await run(() => { throw notAnError })
    const error = errorOf(result)
    assert.equal(error.code, 'WEIBO_ERR_HANDLER_THREW')
    assert.match(error.message, /plain string/)
  })

  test('a FanbotError thrown by the handler is still reported as WEIBO_ERR_HANDLER_THREW', async () => {
    const { result } = await run(() => { throw new FanbotError('WEIBO_ERR_API_TOKEN_MISSING') })
    const error = errorOf(result)
    assert.equal(error.code, 'WEIBO_ERR_HANDLER_THREW')
    assert.ok(error.cause instanceof FanbotError)
  })

  test('text of 299 characters is a reply; 300 → error WEIBO_ERR_REPLY_INVALID (Weibo: less than 300)', async () => {
    const ok = await run(() => ({ type: 'text', text: '字'.repeat(299) }))
    assert.equal(ok.result.status, 'reply')

    const { result } = await run(() => ({ type: 'text', text: '字'.repeat(300) }))
    const error = errorOf(result)
    assert.equal(error.code, 'WEIBO_ERR_REPLY_INVALID')
    assert.match(error.message, /at most 299 characters/)
  })

  test('other invalid replies → WEIBO_ERR_REPLY_INVALID (sync and async)', async () => {
    for (const handle of [
      () => ({ type: 'text', text: '   ' }),
      () => ({ type: 'image', url: 'https://example.com/a.jpg' }),
      async () => 'just a string',
      async () => ({ type: 'text', text: 'hi', extra: true })
    ]) {
      const { result } = await run(handle as LoadedHandler['handle'])
      assert.equal(errorOf(result).code, 'WEIBO_ERR_REPLY_INVALID')
    }
  })
})

describe('runHandler: deadline and shutdown', () => {
  test('a handler running past timeoutMs → WEIBO_ERR_HANDLER_TIMEOUT, and ctx.signal fires', async () => {
    let seen: HandlerContext | undefined
    let abortEvents = 0
    const { result } = await run((_message, ctx) => {
      seen = ctx
      ctx.signal.addEventListener('abort', () => { abortEvents++ })
      return new Promise(() => {})
    }, { timeoutMs: 20 })
    const error = errorOf(result)
    assert.equal(error.code, 'WEIBO_ERR_HANDLER_TIMEOUT')
    assert.match(error.message, /runner-test after 20 ms/)
    assert.equal(seen?.signal.aborted, true)
    assert.equal(abortEvents, 1)
    assert.ok(result.durationMs >= 10, `durationMs ${result.durationMs}`)
  })

  test('a handler that ignores the signal and answers later is still abandoned at the deadline', async () => {
    const late = deferred<{ type: 'text', text: string }>()
    const { result } = await run(async () => await late.promise, { timeoutMs: 20 })
    assert.equal(errorOf(result).code, 'WEIBO_ERR_HANDLER_TIMEOUT')
    late.resolve({ type: 'text', text: 'too late' })
  })

  test('aborting the shutdown signal ends the run as WEIBO_ERR_HANDLER_TIMEOUT and fires ctx.signal', async () => {
    const shutdown = new AbortController()
    const started = deferred<HandlerContext>()
    const running = run((_message, ctx) => {
      started.resolve(ctx)
      return new Promise(() => {})
    }, { timeoutMs: 60_000, shutdownSignal: shutdown.signal })
    const ctx = await started.promise
    assert.equal(ctx.signal.aborted, false)
    shutdown.abort()

    const { result } = await running
    const error = errorOf(result)
    assert.equal(error.code, 'WEIBO_ERR_HANDLER_TIMEOUT')
    assert.match(error.message, /shutting down/)
    assert.equal(ctx.signal.aborted, true)
  })

  test('a shutdown aborted with a FanbotError reason reports that error', async () => {
    const shutdown = new AbortController()
    const started = deferred()
    const running = run(() => { started.resolve(); return new Promise(() => {}) }, { shutdownSignal: shutdown.signal })
    await started.promise
    const reason = new FanbotError('WEIBO_ERR_HANDLER_TIMEOUT', { detail: 'grace period over' })
    shutdown.abort(reason)
    const { result } = await running
    assert.equal(errorOf(result), reason)
  })
})

describe('runHandler: logging and context', () => {
  test('a failure is logged once at error level with the handler name, file, dedup key and code', async () => {
    const { logs } = await run(() => { throw new Error('db down') })
    const lines = errorLines(logs)
    assert.equal(lines.length, 1)
    const [line] = lines
    assert.equal(line?.handler, 'runner-test')
    assert.equal(line?.file, '/bots/runner-test.ts')
    assert.equal(line?.dedupKey, DEDUP_KEY)
    assert.match(String(line?.msg), /runner-test/)
    assert.equal((line?.err as { code?: unknown } | undefined)?.code, 'WEIBO_ERR_HANDLER_THREW')
  })

  test('the logged error says its reason once: the handler\'s own error is the cause, not appended again', async () => {
    const { logs } = await run(() => { throw new TypeError('api.txt is not a function') })
    const err = errorLines(logs)[0]?.err as { message?: string, cause?: { message?: string, stack?: string } } | undefined
    assert.equal(err?.message?.split('api.txt is not a function').length, 2, err?.message)
    assert.equal(err?.cause?.message, 'api.txt is not a function')
    assert.match(err?.cause?.stack ?? '', /handler-runner\.test\.ts/, 'the stack shows where the handler threw')
  })

  test('an invalid reply is logged as readable problems only, with no raw zod JSON after them', async () => {
    const invalid = await run(() => ({ type: 'text', content: 'hi' }) as never)
    const err = errorLines(invalid.logs)[0]?.err as { message?: string, cause?: unknown } | undefined
    assert.match(err?.message ?? '', /Unrecognized key: "content"/)
    assert.doesNotMatch(err?.message ?? '', /"code"|\[\s*\{/)
    assert.equal(err?.cause, undefined)
  })

  test('a timeout and an invalid reply are logged with their code', async () => {
    const timedOut = await run(() => new Promise(() => {}), { timeoutMs: 20 })
    assert.equal((errorLines(timedOut.logs)[0]?.err as { code?: unknown } | undefined)?.code, 'WEIBO_ERR_HANDLER_TIMEOUT')
    const invalid = await run(() => ({ type: 'text', text: '' }))
    assert.equal((errorLines(invalid.logs)[0]?.err as { code?: unknown } | undefined)?.code, 'WEIBO_ERR_REPLY_INVALID')
  })

  test('ctx carries a logger bound to the handler and dedup key, a live signal, the api and the dedup key', async () => {
    const logs = captureLogs()
    const api = apiFor(logs)
    let seen: HandlerContext | undefined
    let message: Message | undefined
    let signalAbortedDuringRun: boolean | undefined
    const { result } = await run((m, ctx) => {
      seen = ctx
      message = m as Message // a fixture push, never a stream record
      signalAbortedDuringRun = ctx.signal.aborted
      ctx.log.info({ step: 'greeting' }, 'handler says hi')
      return undefined
    }, { logs, api })

    assert.equal(result.status, 'none')
    assert.ok(seen !== undefined)
    assert.equal(seen.api, api)
    assert.equal(seen.dedupKey, DEDUP_KEY)
    assert.ok(seen.signal instanceof AbortSignal)
    assert.equal(signalAbortedDuringRun, false)
    assert.equal(message?.type, 'text')
    assert.equal(message?.text, '纯文本')
    const line = logs.lines().find((l) => l.msg === 'handler says hi')
    assert.equal(line?.handler, 'runner-test')
    assert.equal(line?.dedupKey, DEDUP_KEY)
    assert.equal(line?.step, 'greeting')
  })

  test('a handler can send an active reply through ctx.api', async (t: TestContext) => {
    const fake = await listenFakeApi(t)
    fanWrites(fake, '2489518277') // the fixture's fan, so the reply is inside the fan's reply window
    const logs = captureLogs()
    const api = apiFor(logs, { baseUrl: fake.baseUrl, accessToken: TEST_TOKEN })
    const { result } = await run(async (m, ctx) => {
      await ctx.api.messages.reply({ receiverId: (m as Message).sender_id, reply: { type: 'text', text: 'sent actively' } })
      return undefined
    }, { logs, api })

    assert.equal(result.status, 'none')
    assert.equal(fake.calls.length, 1)
    assert.equal(fake.calls[0]?.status, 200, 'Weibo accepted the reply')
    assert.equal(fake.calls[0]?.params.receiver_id, '2489518277')
    assert.deepEqual(sentData(fake.calls[0]), { text: 'sent actively' })
  })

  test('an API failure inside the handler surfaces as WEIBO_ERR_HANDLER_THREW with the API error as cause', async () => {
    const { result } = await run(async (m, ctx) => {
      await ctx.api.messages.reply({ receiverId: (m as Message).sender_id, reply: { type: 'text', text: 'no token' } })
      return undefined
    })
    const error = errorOf(result)
    assert.equal(error.code, 'WEIBO_ERR_HANDLER_THREW')
    assert.ok(error.cause instanceof FanbotError)
    assert.equal(error.cause.code, 'WEIBO_ERR_API_TOKEN_MISSING')
  })
})

describe('runHandler: a handler that answers synchronously', () => {
  const input = (handle: LoadedHandler['handle'], signal: AbortSignal): Parameters<typeof runHandler>[0] => {
    const logs = captureLogs()
    return { handler: handlerOf({ handle }), message: textMessage(), dedupKey: DEDUP_KEY, timeoutMs: 5000, shutdownSignal: signal, api: apiFor(logs), logger: logs.logger }
  }

  test('gets its result back at once, with no deadline machinery; a handler returning a promise gets it', async () => {
    const signal = new AbortController().signal
    const sync = runHandler(input(() => ({ type: 'text', text: 'at once' }), signal))
    assert.ok(!(sync instanceof Promise))
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'no shutdown listener for a run that is over')
    assert.equal((sync as RunResult).status, 'reply')

    const later = runHandler(input(async () => ({ type: 'text', text: 'later' }), signal))
    assert.ok(later instanceof Promise)
    assert.equal(getEventListeners(signal, 'abort').length, 1, 'a running handler listens for shutdown')
    assert.equal((await later).status, 'reply')
    assert.equal(getEventListeners(signal, 'abort').length, 0)
  })

  test('a synchronous throw or invalid reply is a failed run, as from an async handler; after shutdown nothing runs', async () => {
    const signal = new AbortController().signal
    assert.equal((await runHandler(input(() => ({ type: 'text', text: 'at once' }), signal))).status, 'reply')
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'no shutdown listener left once a run is over')
    assert.equal(errorOf(await runHandler(input(() => { throw new Error('boom') }, signal))).code, 'WEIBO_ERR_HANDLER_THREW')
    assert.equal(errorOf(await runHandler(input(() => ({ type: 'text', text: '' }), signal))).code, 'WEIBO_ERR_REPLY_INVALID')
    const aborted = new AbortController()
    aborted.abort()
    let ran = false
    const late = await runHandler(input(() => { ran = true }, aborted.signal))
    assert.equal(errorOf(late).code, 'WEIBO_ERR_HANDLER_TIMEOUT')
    assert.equal(ran, false)
  })
})

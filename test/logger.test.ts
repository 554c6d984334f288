import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, test } from 'node:test'
import { buildApp } from '../src/app.ts'
import { text } from '../src/index.ts'
import { redactUrl } from '../src/logger.ts'
import { TEST_SECRET, TEST_TOKEN, testConfig } from './helpers/config.ts'
import { deferred } from './helpers/deferred.ts'
import { captureLogs } from './helpers/logs.ts'
import { fixture, sendPush, signedQuery } from './helpers/push.ts'
import { listenFakeApi } from './helpers/simulator-api.ts'

describe('logs', () => {
  test('one line per push with type, sender, dedup key, handler, outcome and duration', async (t) => {
    const logs = captureLogs('info')
    const app = await buildApp({ config: testConfig(), logger: logs.logger, handlers: [{ name: 'greeter', on: 'text', handle: () => text('hi') }] })
    t.after(async () => { await app.close() })
    await sendPush(app, fixture('text'))
    const lines = logs.lines().filter((line) => line.push !== undefined)
    assert.equal(lines.length, 1)
    const push = lines[0]?.push as Record<string, unknown>
    assert.equal(push.type, 'text')
    assert.equal(push.sender, '2489518277')
    assert.match(String(push.dedupKey), /^1902538057\|2489518277\|Mon Jul 16 18:09:20 \+0800 2012\|/)
    assert.equal(push.handler, 'greeter')
    assert.equal(push.outcome, 'passive')
    assert.equal(typeof push.durationMs, 'number')
  })

  test('the app secret, the access token and request signatures never reach a log line, even at trace level', async (t) => {
    const api = await listenFakeApi(t)
    api.faults.inject({ kind: 'expired-token' }) // Weibo's 21327 for the late reply
    const logs = captureLogs('trace')
    const release = deferred()
    const app = await buildApp({
      config: testConfig({ WEIBO_ACCESS_TOKEN: TEST_TOKEN, WEIBO_API_BASE_URL: api.baseUrl, REPLY_DEADLINE_MS: '5', LOG_LEVEL: 'trace' }),
      logger: logs.logger,
      handlers: [
        {
          on: 'text',
          handle: async (message, ctx) => {
            // A careless handler logging what it was given, credentials included.
            ctx.log.info({ message, ctx, access_token: TEST_TOKEN, config: { appSecret: TEST_SECRET } }, 'handler saw')
            await release.promise
            return text('late')
          }
        },
        { on: 'image', handle: () => { throw new Error('boom') } }
      ]
    })
    const query = signedQuery({ echostr: 'e' })
    const signature = new URLSearchParams(query).get('signature') ?? ''
    await app.inject({ method: 'GET', url: `/weibo?${query}` })
    await app.inject({ method: 'GET', url: `/weibo?${signedQuery({ secret: 'wrong', echostr: 'e' })}` })
    await app.inject({ method: 'POST', url: `/weibo?${query}`, payload: fixture('image') })
    await sendPush(app, fixture('text'))
    await sendPush(app, fixture('text'), { secret: 'wrong' })
    await sendPush(app, '{bad json')
    release.resolve()
    await app.close()

    const written = logs.text()
    assert.ok(written.includes('late reply refused'), 'the failing late reply was logged')
    assert.ok(written.includes('[Redacted]'), 'the handler\'s credentials were redacted')
    assert.equal(written.includes(TEST_SECRET), false, 'app secret leaked')
    assert.equal(written.includes(TEST_TOKEN), false, 'access token leaked')
    assert.equal(written.includes(signature), false, 'signature leaked')
  })

  test('redactUrl hides access_token and signature values in URLs', () => {
    assert.equal(redactUrl('/weibo?signature=abc&timestamp=1&nonce=2'), '/weibo?signature=[Redacted]&timestamp=1&nonce=2')
    assert.equal(redactUrl('/2/x.json?fid=1&access_token=tok'), '/2/x.json?fid=1&access_token=[Redacted]')
  })
})

describe('stdout in batches (LOG_FLUSH_MS)', () => {
  test('a lone line is written within the flush interval, and every line logged right before exit is written, whole', async () => {
    // A child process, since the batched destination is stdout itself: one line, a pause, then 2,000 lines and an
    // immediate exit. Without the periodic flush the lone line (under the 4 KB batch) would wait for the exit.
    const logger = new URL('../src/logger.ts', import.meta.url).href
    const script = `
      const { createLogger } = await import(${JSON.stringify(logger)})
      const log = createLogger({ level: 'info', flushMs: 50 })
      log.info('lone line')
      setTimeout(() => {
        for (let n = 0; n < 2000; n++) log.info({ n, text: '你好 ' + n }, 'burst')
        process.exit(0)
      }, 1500)`
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const started = Date.now()
    let exitedAfterMs = Number.POSITIVE_INFINITY
    child.once('exit', () => { exitedAfterMs = Date.now() - started })
    let output = ''
    let loneAfterMs: number | undefined
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      output += chunk
      if (loneAfterMs === undefined && output.includes('lone line')) loneAfterMs = Date.now() - started
    })
    const exited = once(child, 'exit')
    const [code] = await once(child, 'close') as [number | null] // after the exit and the end of its stdout
    await exited
    assert.equal(code, 0)
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as { msg: string, n?: number, text?: string })
    assert.ok(loneAfterMs !== undefined, 'the lone line was written')
    assert.ok(loneAfterMs < exitedAfterMs - 500, `the lone line came well before the exit (${loneAfterMs} ms, exit at ${exitedAfterMs} ms)`)
    const burst = lines.filter((line) => line.msg === 'burst')
    assert.equal(burst.length, 2000, 'every line logged before process.exit was written')
    assert.deepEqual(burst.map((line) => line.n), Array.from({ length: 2000 }, (_, n) => n), 'in order')
    // Multi-byte text across batch boundaries (the batches are counted in bytes) comes out whole.
    assert.deepEqual(burst.map((line) => line.text), Array.from({ length: 2000 }, (_, n) => `你好 ${n}`))
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { EventMessage, PositionMessage } from '../../src/message-schema.ts'
import { text } from '../../src/reply.ts'
import { startBot } from '../helpers/cli-bot.ts'
import { oneLineOf, runCli, runInProcess } from '../helpers/cli.ts'
import { TEST_SECRET } from '../helpers/config.ts'

describe('weibo-fanbot send', { concurrency: true }, () => {
  // The first and the refused one as processes (exit codes 0 and 1, streams); the rest in-process, through the same entry.
  test('a text push is answered passively; the reply is printed decoded, with the push and its try', async (t) => {
    const url = await startBot(t, [{ on: 'text', handle: (message) => text(`你说：${message.text}`) }])
    const run = await runCli(['send', 'text', '你好', '--url', url, '--secret', TEST_SECRET])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    assert.match(run.stdout, /^push +text from fan 2489518277 to account 1902538057: "你好"$/m)
    assert.match(run.stdout, /^try 1 +HTTP 200 in \d+ ms$/m)
    assert.match(run.stdout, /^reply +passive text: 你说：你好$/m)
  })

  test('--url and --secret default to the environment: 127.0.0.1:PORT/CALLBACK_PATH and WEIBO_APP_SECRET', async (t) => {
    const url = await startBot(t, [{ on: 'text', handle: () => text('found you') }])
    const run = await runInProcess(['send', 'text'], { env: { PORT: new URL(url).port, WEIBO_APP_SECRET: TEST_SECRET } })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(`^to +${url.replace(/[.]/g, '\\.')} \\(signed\\)$`, 'm'))
    assert.match(run.stdout, /passive text: found you/)
  })

  test('event --subtype click --key K reaches the click handler with that key', async (t) => {
    const keys: Array<string | undefined> = []
    const url = await startBot(t, [{
      on: 'event:click',
      handle: (message: EventMessage) => { keys.push(message.data.key); return text(`clicked ${message.data.key ?? ''}`) }
    }])
    const run = await runInProcess(['send', 'event', '--subtype', 'click', '--key', 'MENU_MEMBER', '--url', url, '--secret', TEST_SECRET])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(keys, ['MENU_MEMBER'])
    assert.match(run.stdout, /^push +event click \(key MENU_MEMBER\) from fan/m)
    assert.match(run.stdout, /passive text: clicked MENU_MEMBER/)
  })

  test('position --lat with a negative value (no "=") reaches the handler as typed', async (t) => {
    const seen: Array<PositionMessage['data']> = []
    const url = await startBot(t, [{ on: 'position', handle: (message: PositionMessage) => { seen.push(message.data) } }])
    const run = await runInProcess(['send', 'position', '--lat', '-33.8688', '--lon', '151.2093', '--url', url, '--secret', TEST_SECRET])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(seen, [{ latitude: '-33.8688', longitude: '151.2093' }])
  })

  test('a blank answer is success, explained: nothing now, a late reply goes through the API', async (t) => {
    const url = await startBot(t, [{ on: 'text', handle: () => undefined }])
    const run = await runInProcess(['send', 'text', 'anyone?', '--url', url, '--secret', TEST_SECRET])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^reply +blank \(HTTP 200, empty body\): no reply now\..*messages\/reply.*weibo-fanbot chat/m)
  })

  test('a wrong secret: exit 1, and one line saying the server refused the signature (401) and what to check', async (t) => {
    const url = await startBot(t, [{ on: 'text', handle: () => text('never') }])
    const run = await runCli(['send', 'text', '--url', url, '--secret', 'not-the-secret'])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /^try 1 +HTTP 401/m)
    const line = oneLineOf(run.stderr)
    assert.match(line, /^weibo-fanbot send: rejected: HTTP 401, WEIBO_ERR_SIGNATURE_INVALID: .*must be the server's WEIBO_APP_SECRET$/)
  })

  test('--json prints the DeliveryResult as JSON', async (t) => {
    const url = await startBot(t, [{ on: 'mention:comment', handle: () => text('thanks for the mention') }])
    const run = await runInProcess(['send', 'mention', '--subtype', 'comment', '--key', '4100000000000001', '--json', '--url', url, '--secret', TEST_SECRET])
    assert.equal(run.code, 0, run.stderr)
    const result = JSON.parse(run.stdout) as { outcome: string, tries: Array<{ status: number }>, reply: { type: string, data: unknown, receiverId: string } }
    assert.equal(result.outcome, 'passive')
    assert.equal(result.tries.length, 1)
    assert.equal(result.tries[0]?.status, 200)
    assert.deepEqual(result.reply.data, { text: 'thanks for the mention' })
    assert.equal(result.reply.receiverId, '2489518277')
  })
})

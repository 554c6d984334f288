import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { text } from '../../src/reply.ts'
import { startBot } from '../helpers/cli-bot.ts'
import { deadUrl, oneLineOf, runCli, runInProcess } from '../helpers/cli.ts'
import { TEST_SECRET } from '../helpers/config.ts'

describe('weibo-fanbot verify', { concurrency: true }, () => {
  // The echoed handshake as a process (exit 0, streams); the failures in-process, through the same entry.
  test('the handshake echoed: OK in one line, exit 0', async (t) => {
    const url = await startBot(t, [{ on: 'text', handle: () => text('hi') }])
    const run = await runCli(['verify', '--url', url], { env: { WEIBO_APP_SECRET: TEST_SECRET } })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    assert.match(run.stdout, /^OK http:\/\/127\.0\.0\.1:\d+\/weibo: the server echoed echostr: Weibo would bind this URL\n$/)
  })

  test('a wrong secret: exit 1, one line naming the secret as the problem', async (t) => {
    const url = await startBot(t, [{ on: 'text', handle: () => text('hi') }])
    const run = await runInProcess(['verify', '--url', url, '--secret', 'wrong'])
    assert.equal(run.code, 1)
    assert.equal(run.stdout, '')
    assert.match(oneLineOf(run.stderr), /^weibo-fanbot verify: http:\/\/127\.0\.0\.1:\d+\/weibo: the server refused the signature: WEIBO_APP_SECRET/)
  })

  test('nothing listening: exit 1, one line asking whether the server runs', async () => {
    const run = await runInProcess(['verify', '--url', await deadUrl(), '--secret', TEST_SECRET])
    assert.equal(run.code, 1)
    assert.match(oneLineOf(run.stderr), /could not connect to .*ECONNREFUSED.*is the server running/)
  })
})

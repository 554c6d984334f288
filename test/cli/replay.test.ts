import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import path from 'node:path'
import { describe, test } from 'node:test'
import type { TextMessage } from '../../src/message-schema.ts'
import { text } from '../../src/reply.ts'
import { startBot } from '../helpers/cli-bot.ts'
import { oneLineOf, runCli, runInProcess, tempDir } from '../helpers/cli.ts'
import { TEST_SECRET } from '../helpers/config.ts'

// 19 digits: beyond 2^53, so JSON.parse would round it; the push must reach the handler (and come back) exactly.
const BIG_FAN = '9007199254740993123'
const SAVED_PUSH = `{ "type": "text",  "receiver_id": 1902538057, "sender_id": ${BIG_FAN},
  "created_at": "Mon Jul 16 18:09:20 +0800 2012", "text": "replayed", "data": {} }\n`

describe('weibo-fanbot replay', { concurrency: true }, () => {
  test('a saved push with a 19-digit sender_id reaches the handler digit for digit, and the reply goes back to it', async (t) => {
    const senders: string[] = []
    const url = await startBot(t, [{ on: 'text', handle: (message: TextMessage) => { senders.push(message.sender_id); return text('got it') } }])
    const file = path.join(await tempDir(t, 'cli-replay-'), 'push.json')
    await writeFile(file, SAVED_PUSH)
    const run = await runCli(['replay', file, '--url', url, '--secret', TEST_SECRET])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(senders, [BIG_FAN])
    assert.match(run.stdout, new RegExp(`^push +text from fan ${BIG_FAN} to account 1902538057: "replayed"$`, 'm'))
    assert.match(run.stdout, /^reply +passive text: got it$/m)
    assert.doesNotMatch(run.stdout, /warning/)
  })

  test('the body goes out byte for byte as saved (spacing, order, newline), with a fresh signature', async (t) => {
    const received: Array<{ body: string, query: URLSearchParams }> = []
    const server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => { body += chunk.toString('utf8') })
      request.on('end', () => { received.push({ body, query: new URL(request.url ?? '/', 'http://x').searchParams }); response.end() })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => { server.closeAllConnections(); server.close() })
    const address = server.address()
    const file = path.join(await tempDir(t, 'cli-replay-'), 'push.json')
    await writeFile(file, SAVED_PUSH)
    const run = await runCli(['replay', file, '--url', `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/weibo`, '--secret', TEST_SECRET])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(received.length, 1)
    assert.equal(received[0]?.body, SAVED_PUSH)
    assert.match(received[0]?.query.get('signature') ?? '', /^[0-9a-f]{40}$/)
  })

  test('a missing file: exit 2 (a bad argument; nothing sent), one line', async (t) => {
    const file = path.join(await tempDir(t, 'cli-replay-'), 'nope.json')
    const run = await runInProcess(['replay', file, '--url', 'http://127.0.0.1:9/weibo'])
    assert.equal(run.code, 2)
    assert.equal(oneLineOf(run.stderr), `weibo-fanbot replay: cannot read ${file}: no such file; see weibo-fanbot --help`)
  })

  test('a file that is not JSON: exit 2, one line with the parser\'s code', async (t) => {
    const file = path.join(await tempDir(t, 'cli-replay-'), 'broken.json')
    await writeFile(file, '{"type": "text", ')
    const run = await runInProcess(['replay', file, '--url', 'http://127.0.0.1:9/weibo'])
    assert.equal(run.code, 2)
    assert.match(oneLineOf(run.stderr), /^weibo-fanbot replay: .*broken\.json is not JSON \(WEIBO_ERR_PUSH_MALFORMED_JSON: .*\); see weibo-fanbot --help$/)
  })
})

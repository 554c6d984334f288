import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { StreamDeadLetter, StreamDeadLetterStore } from '../../src/push-stream/stream-dead-letter-store.ts'
import { parseStreamRecord } from '../../src/push-stream/stream-record.ts'
import { oneLineOf, runCli, runInProcess } from '../helpers/cli.ts'
import { freePort } from '../helpers/ports.ts'
import { redisStreamDeadLetters } from '../helpers/push-stream.ts'
import { redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

const FAILED_AT = Date.parse('2026-12-01T08:00:00.000Z')

function entry (id: string, minute: number): StreamDeadLetter {
  const record = parseStreamRecord(`{"id":${id},"text":{"type":"status","event":"add","status":{"id":3700057402482222,"text":"你好","user":{"id":2084126291}}}}`)
  return { id, record, handler: 'watcher', code: 'WEIBO_ERR_HANDLER_THREW', message: `watcher: boom ${minute}`, attempts: 3, failedAt: FAILED_AT + minute * 60_000 }
}

/** Two dead-lettered records under a prefix of their own; the env a CLI run needs to see them. */
async function twoDeadLetters (t: TestContext): Promise<{ store: StreamDeadLetterStore, env: Record<string, string> }> {
  const { store, url, prefix } = await redisStreamDeadLetters(t)
  await store.add(entry('4404160103598340001', 1))
  await store.add(entry('4404160103598340002', 2))
  return { store, env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix } }
}

describe('weibo-fanbot stream, on Redis', { skip: skipWithoutRedis, concurrency: true }, () => {
  test('failed: each dead-lettered record, newest first, with when, attempts, handler, code and message', async (t) => {
    const { env } = await twoDeadLetters(t)
    const run = await runCli(['stream', 'failed'], { env })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    assert.equal(run.stdout, [
      'failed push stream records, newest first:',
      '4404160103598340002  failed 2026-12-01T08:02:00.000Z after 3 attempts  handler watcher  status',
      '    WEIBO_ERR_HANDLER_THREW: watcher: boom 2',
      '4404160103598340001  failed 2026-12-01T08:01:00.000Z after 3 attempts  handler watcher  status',
      '    WEIBO_ERR_HANDLER_THREW: watcher: boom 1',
      'replay with: weibo-fanbot stream retry <id…> (or --all) once the cause is fixed',
      ''
    ].join('\n'))
  })

  test('failed --json --limit 1: the total and the newest entry, its record whole (64-bit ids digit for digit)', async (t) => {
    const { env } = await twoDeadLetters(t)
    const run = await runInProcess(['stream', 'failed', '--json', '--limit', '1'], { env })
    assert.equal(run.code, 0, run.stderr)
    const report = JSON.parse(run.stdout) as { total: number, failed: StreamDeadLetter[] }
    assert.equal(report.total, 2)
    assert.deepEqual(report.failed, [entry('4404160103598340002', 2)])
  })

  test('retry <id>: moved to the replay queue for a server to run; the other stays listed', async (t) => {
    const { store, env } = await twoDeadLetters(t)
    const run = await runInProcess(['stream', 'retry', '4404160103598340001'], { env })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, 'retried 4404160103598340001\n1 record queued for replay; a running server holding the stream runs its handler again within seconds\n')
    assert.deepEqual((await store.takeReplays(10)).map((item) => item.id), ['4404160103598340001'])
    assert.deepEqual((await store.list({ limit: 10 })).entries.map((item) => item.id), ['4404160103598340002'])
  })

  test('retry --all, then again: nothing left; an id not in the list is exit 1, one line', async (t) => {
    const { store, env } = await twoDeadLetters(t)
    const all = await runInProcess(['stream', 'retry', '--all'], { env })
    assert.equal(all.code, 0, all.stderr)
    assert.match(all.stdout, /^retried 4404160103598340001\nretried 4404160103598340002\n2 records queued for replay/)
    assert.equal((await store.takeReplays(10)).length, 2)
    const again = await runInProcess(['stream', 'retry', '--all'], { env })
    assert.equal(again.stdout, 'no failed push stream records to retry\n')
    const missing = await runInProcess(['stream', 'retry', '123'], { env })
    assert.equal(missing.code, 1)
    assert.equal(oneLineOf(missing.stderr), 'weibo-fanbot stream: not in the dead-letter list: 123 (weibo-fanbot stream failed shows the ids)')
  })

  test('an empty list says so', async () => {
    const run = await runInProcess(['stream', 'failed'], { env: { REDIS_URL: redisUrl() ?? '', REDIS_KEY_PREFIX: uniquePrefix() } })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, 'no failed push stream records\n')
  })
})

describe('weibo-fanbot stream, without a reachable Redis', { concurrency: true }, () => {
  test('REDIS_URL unset: a usage error saying the list of a server in memory lives only in that server', async () => {
    const run = await runInProcess(['stream', 'failed'])
    assert.equal(run.code, 2)
    assert.match(oneLineOf(run.stderr), /^weibo-fanbot stream: REDIS_URL is not set: without Redis, a server's dead-letter list lives only in that server's memory/)
  })

  test('Redis unreachable: exit 1, one line with the code', async () => {
    const run = await runCli(['stream', 'retry', '--all'], { env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` } })
    assert.equal(run.code, 1)
    assert.match(oneLineOf(run.stderr), /^weibo-fanbot stream: WEIBO_ERR_STREAM_DEAD_LETTERS_UNAVAILABLE: .*ECONNREFUSED/)
  })

  test('usage: a missing subcommand, ids with --all, an option of the other subcommand', async () => {
    for (const args of [['stream'], ['stream', 'retry'], ['stream', 'retry', '1', '--all'], ['stream', 'retry', '--all', '--json'], ['stream', 'failed', '--limit', '0'], ['stream', 'failed', 'x']]) {
      const run = await runInProcess(args)
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`)
      oneLineOf(run.stderr)
    }
  })
})

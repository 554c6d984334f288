import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { LateReply } from '../../src/late-reply.ts'
import type { FailedLateReply, OutboxCounts } from '../../src/outbox/outbox-admin.ts'
import { outboxJobId } from '../../src/outbox/outbox-job.ts'
import { oneLineOf, runCli, runInProcess } from '../helpers/cli.ts'
import { FAN, lateReply, outboxWorld, until, type OutboxWorld } from '../helpers/outbox.ts'
import { freePort } from '../helpers/ports.ts'
import { skipWithoutRedis } from '../helpers/redis.ts'

/** Two late replies refused for good (the fan's reply window is closed), in the failed set; no worker left running. */
async function twoFailed (t: TestContext): Promise<{ world: OutboxWorld, env: Record<string, string>, replies: LateReply[] }> {
  const world = await outboxWorld(t, { fanWrote: false })
  // The refusals are what these tests list, so the fake's answer must arrive: outboxWorld's API timeout is 30 s, not
  // the tests' usual 2 s, with which a loaded machine sometimes timed out all three attempts of a job, which then
  // failed as a timeout, with no error_code to list (outbox list --json: errorCode undefined, 1 run in 5 under load).
  const outbox = world.outbox()
  // Queued, not sent directly: an outbox whose connection is not up within a second falls back to a direct send
  // (by design), and at the start of a busy run (npm pack and three other files starting) it sometimes was not.
  await until(() => outbox.queue.ready)
  const replies = [lateReply('first'), lateReply('second')]
  for (const late of replies) await outbox.lateReply.send(late)
  // A count that times out (Redis busy with the rest of the suite) is "not yet", not a failure of this test.
  await until(async () => (await outbox.queue.counts().catch(() => undefined))?.failed === 2)
  // Read like the count above: a command that times out on a busy Redis (the fail-fast 500 ms) is "not yet".
  let failed: FailedLateReply[] | undefined
  await until(async () => (failed = await outbox.queue.listFailed({ limit: 10 }).catch(() => undefined)) !== undefined)
  assert.deepEqual(failed?.map((job) => job.errorCode), [20301, 20301], 'both refused by the fake (20301), as the tests expect')
  await outbox.close()
  return { world, env: { REDIS_URL: world.url, REDIS_KEY_PREFIX: world.prefix }, replies }
}

describe('weibo-fanbot outbox, on Redis', { skip: skipWithoutRedis, concurrency: true }, () => {
  test('list: the counts, then each failed reply with its id, fan, handler and Weibo error_code', async (t) => {
    const { env } = await twoFailed(t)
    const run = await runCli(['outbox', 'list'], { env })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    const lines = run.stdout.trimEnd().split('\n')
    assert.equal(lines[0], 'outbox: 0 waiting, 0 active, 0 delayed (backing off), 2 failed, 0 completed (kept 24 h)')
    assert.equal(lines[1], 'failed late replies, newest first:')
    assert.match(lines[2] ?? '', new RegExp(`^late-[0-9a-f]{32} {2}failed \\d{4}-\\d\\d-\\d\\dT\\S+Z after 1 attempt {2}fan ${FAN} {2}account 1902538057 {2}handler slow-text$`))
    assert.match(lines[3] ?? '', /^ {4}WEIBO_ERR_API_REJECTED: .*error_code 20301/)
    assert.match(lines.at(-1) ?? '', /^retry with: weibo-fanbot outbox retry/)
  })

  test('list --json --limit 1: counts and the newest failed reply, as data', async (t) => {
    const { env } = await twoFailed(t)
    const run = await runInProcess(['outbox', 'list', '--json', '--limit', '1'], { env })
    assert.equal(run.code, 0, run.stderr)
    const report = JSON.parse(run.stdout) as { counts: OutboxCounts, failed: FailedLateReply[] }
    assert.equal(report.counts.failed, 2)
    assert.equal(report.failed.length, 1)
    assert.equal(report.failed[0]?.errorCode, 20301)
    assert.equal(report.failed[0]?.receiverId, FAN)
  })

  test('retry <id>: queued again with fresh attempts, and a worker delivers it once the cause is fixed', async (t) => {
    const { world, env, replies } = await twoFailed(t)
    const producer = world.outbox({ OUTBOX_CONCURRENCY: '0' })
    const id = outboxJobId(replies[1]?.dedupKey ?? '')
    const run = await runInProcess(['outbox', 'retry', id], { env })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, `retried ${id}\n1 late reply queued again; the servers' outbox workers send them now\n`)
    assert.deepEqual(await producer.queue.counts(), { waiting: 1, active: 0, delayed: 0, failed: 1, completed: 0 })

    world.fake.recordFanActivity({ type: 'text', sender_id: FAN, text: 'back again' })
    world.outbox()
    await until(() => world.delivered().length === 1)
    assert.deepEqual(world.delivered(), [{ text: 're: second' }])
    assert.deepEqual((await producer.queue.listFailed({ limit: 10 })).map((job) => job.id), [outboxJobId(replies[0]?.dedupKey ?? '')])
  })

  test('retry --all: every failed reply; an id not in the failed set is exit 1, one line', async (t) => {
    const { env } = await twoFailed(t)
    const all = await runInProcess(['outbox', 'retry', '--all'], { env })
    assert.equal(all.code, 0, all.stderr)
    assert.match(all.stdout, /^retried late-\S+\nretried late-\S+\n2 late replies queued again/)
    const again = await runInProcess(['outbox', 'retry', '--all'], { env })
    assert.equal(again.stdout, 'no failed late replies to retry\n')
    const missing = await runInProcess(['outbox', 'retry', 'late-0000'], { env })
    assert.equal(missing.code, 1)
    assert.equal(oneLineOf(missing.stderr), 'weibo-fanbot outbox: not in the failed set: late-0000 (weibo-fanbot outbox list shows the ids)')
  })

  test('an empty outbox says so', async (t) => {
    const world = await outboxWorld(t)
    const run = await runInProcess(['outbox', 'list'], { env: { REDIS_URL: world.url, REDIS_KEY_PREFIX: world.prefix } })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /0 failed, 0 completed.*\nno failed late replies\n$/)
  })
})

describe('weibo-fanbot outbox, without Redis', { concurrency: true }, () => {
  test('REDIS_URL unset: usage error, exit 2, one line saying why', async () => {
    const run = await runInProcess(['outbox', 'list'])
    assert.equal(run.code, 2)
    assert.equal(run.stdout, '')
    assert.match(oneLineOf(run.stderr), /^weibo-fanbot outbox: REDIS_URL is not set: the outbox lives in Redis.*; see weibo-fanbot --help$/)
  })

  test('Redis unreachable: exit 1, one line with WEIBO_ERR_OUTBOX_UNAVAILABLE and the URL', async () => {
    const port = await freePort()
    const run = await runCli(['outbox', 'retry', '--all'], { env: { REDIS_URL: `redis://:secret@127.0.0.1:${port}` } })
    assert.equal(run.code, 1)
    assert.equal(run.stdout, '')
    const line = oneLineOf(run.stderr)
    assert.match(line, new RegExp(`^weibo-fanbot outbox: WEIBO_ERR_OUTBOX_UNAVAILABLE: .*redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}.*ECONNREFUSED`))
    assert.ok(!line.includes('secret'))
  })

  const usage: Array<[string[], RegExp]> = [
    [['outbox'], /missing the subcommand: list or retry/],
    [['outbox', 'flush'], /outbox subcommand "flush" is not one of list, retry/],
    [['outbox', 'retry'], /missing the job ids to retry \(or --all\)/],
    [['outbox', 'retry', '--all', 'late-1'], /give job ids or --all, not both/],
    [['outbox', 'retry', 'late-1', '--json'], /--json does not apply to outbox retry/],
    [['outbox', 'list', '--all'], /--all does not apply to outbox list/],
    [['outbox', 'list', '--limit', '0'], /--limit must be a whole number from 1 to 10000; got "0"/],
    [['outbox', 'list', 'extra'], /unexpected argument "extra"/]
  ]
  for (const [args, expected] of usage) {
    test(`usage: ${args.join(' ')}`, async () => {
      const run = await runInProcess(args, { env: { REDIS_URL: 'redis://127.0.0.1:9' } })
      assert.equal(run.code, 2, run.stderr)
      assert.match(oneLineOf(run.stderr), expected)
    })
  }

  test('help: outbox --help, and the overall help lists it', async () => {
    const [own, overall] = await Promise.all([runInProcess(['outbox', '--help']), runInProcess(['--help'])])
    assert.equal(own.code, 0)
    assert.match(own.stdout, /^Usage: weibo-fanbot outbox list \[--limit N\] \[--json\]\n {7}weibo-fanbot outbox retry <id…> \| --all/)
    assert.match(overall.stdout, /\n {2}outbox list\|retry {4}/)
  })
})

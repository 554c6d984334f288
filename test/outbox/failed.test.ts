import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Queue } from 'bullmq'
import { LATE_REPLIES_QUEUE, LATE_REPLY_JOB, outboxJobOptions } from '../../src/outbox/outbox-job.ts'
import { FAN, lateReply, observe, outboxWorld, until } from '../helpers/outbox.ts'
import { ACCOUNT } from '../helpers/simulator-api.ts'
import { skipWithoutRedis } from '../helpers/redis.ts'

describe('outbox: permanent failures go to the failed set, where an operator lists and retries them', { skip: skipWithoutRedis, concurrency: true }, () => {
  test('an expired token (21327): failed after ONE attempt, listed with its error_code and the rebind hint; retried, it is delivered', async (t) => {
    const world = await outboxWorld(t)
    world.fake.faults.inject({ kind: 'expired-token' })
    const observed = observe()
    const outbox = world.outbox({ OUTBOX_ATTEMPTS: '5' }, { observer: observed })
    await until(() => outbox.queue.ready) // queued, not sent directly: see twoFailed in cli.test.ts
    const before = Date.now()
    await outbox.lateReply.send(lateReply('token died'))
    await until(async () => (await outbox.queue.counts()).failed === 1)
    assert.equal(world.replyCalls().length, 1)
    assert.deepEqual(observed.events, ['enqueued:queued', 'attempted:failed', 'ended:failed'])

    const [failed, ...others] = await outbox.queue.listFailed({ limit: 10 })
    assert.equal(others.length, 0)
    assert.ok(failed !== undefined)
    assert.match(failed.id, /^late-[0-9a-f]{32}$/)
    assert.equal(failed.receiverId, FAN)
    assert.equal(failed.handler, 'slow-text')
    assert.match(failed.dedupKey, new RegExp(`^${ACCOUNT}\\|${FAN}\\|`))
    assert.equal(failed.attemptsMade, 1)
    assert.equal(failed.code, 'WEIBO_ERR_API_REJECTED')
    assert.equal(failed.errorCode, 21327)
    assert.match(failed.reason, /^WEIBO_ERR_API_REJECTED: .*error_code 21327/)
    assert.ok(failed.failedAt !== undefined && failed.failedAt >= before)
    const refusal = world.logs.lines().find((line) => (line.lateReply as { errorCode?: unknown } | undefined)?.errorCode === 21327)
    assert.equal(refusal?.level, 50)
    assert.match(String(refusal?.msg), /access token is expired or revoked; bind the callback URL again .* outbox retry --all/)

    // The operator binds again (the fault is used up): a retry is delivered, once.
    assert.deepEqual(await outbox.queue.retryFailed([failed.id]), { retried: [failed.id], notFailed: [] })
    await until(() => world.delivered().length === 1)
    await until(async () => (await outbox.queue.counts()).completed === 1)
    assert.deepEqual(world.delivered(), [{ text: 're: token died' }])
    assert.deepEqual(await outbox.queue.listFailed({ limit: 10 }), [])
  })

  test('a closed reply window (20301): failed at once; retryFailed("all") after the fan writes again delivers it', async (t) => {
    const world = await outboxWorld(t, { fanWrote: false })
    const outbox = world.outbox()
    await until(() => outbox.queue.ready) // queued, not sent directly: see twoFailed in cli.test.ts
    await outbox.lateReply.send(lateReply('window shut'))
    await outbox.lateReply.send(lateReply('window still shut'))
    await until(async () => (await outbox.queue.counts()).failed === 2)
    assert.equal(world.replyCalls().length, 2)
    const failed = await outbox.queue.listFailed({ limit: 10 })
    assert.deepEqual(failed.map((job) => [job.errorCode, job.attemptsMade]), [[20301, 1], [20301, 1]])
    assert.equal((await outbox.queue.listFailed({ limit: 1 })).length, 1)

    world.fake.recordFanActivity({ type: 'text', sender_id: FAN, text: 'I am back' })
    const result = await outbox.queue.retryFailed('all')
    assert.equal(result.retried.length, 2)
    await until(() => world.delivered().length === 2)
    assert.deepEqual(new Set(world.delivered()), new Set([{ text: 're: window shut' }, { text: 're: window still shut' }]))
    assert.deepEqual(await outbox.queue.retryFailed('all'), { retried: [], notFailed: [] })
  })

  test('retrying an id that is not in the failed set reports it, and retries the others', async (t) => {
    const world = await outboxWorld(t, { fanWrote: false })
    const outbox = world.outbox()
    await until(() => outbox.queue.ready) // queued, not sent directly: see twoFailed in cli.test.ts
    await outbox.lateReply.send(lateReply('nobody listens'))
    await until(async () => (await outbox.queue.counts()).failed === 1)
    const [failed] = await outbox.queue.listFailed({ limit: 1 })
    const result = await outbox.queue.retryFailed(['late-nope', failed?.id ?? ''])
    assert.deepEqual(result, { retried: [failed?.id], notFailed: ['late-nope'] })
  })

  test('a job that is not a late reply, or holds an invalid reply, fails for good without calling Weibo', async (t) => {
    const world = await outboxWorld(t)
    const outbox = world.outbox()
    // Jobs written by hand (another version, an edit in Redis): the worker must not crash or retry them.
    const raw = new Queue(LATE_REPLIES_QUEUE, { connection: { url: world.url }, prefix: world.prefix })
    world.defer(async () => { await raw.close() })
    const options = (key: string): ReturnType<typeof outboxJobOptions> => outboxJobOptions({ dedupKey: key, attempts: 5, backoffMs: 10 })
    await raw.add(LATE_REPLY_JOB, { something: 'else' }, options('garbage'))
    await raw.add(LATE_REPLY_JOB, { receiverId: FAN, reply: { type: 'text', text: '' }, handler: 'h', dedupKey: 'bad-reply', queuedAt: Date.now() }, options('bad-reply'))
    await until(async () => (await outbox.queue.counts()).failed === 2)
    assert.equal(world.replyCalls().length, 0)
    const failed = await outbox.queue.listFailed({ limit: 10 })
    assert.deepEqual(new Set(failed.map((job) => job.reason.split(':')[0])), new Set(['WEIBO_ERR_OUTBOX_JOB_INVALID', 'WEIBO_ERR_REPLY_INVALID']))
    assert.ok(failed.every((job) => job.attemptsMade === 1))
    assert.equal(failed.find((job) => job.reason.startsWith('WEIBO_ERR_OUTBOX_JOB_INVALID'))?.receiverId, '')
  })
})

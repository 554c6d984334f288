import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { outboxJobId } from '../../src/outbox/outbox-job.ts'
import { lateReply, observe, outboxWorld, until } from '../helpers/outbox.ts'
import { skipWithoutRedis } from '../helpers/redis.ts'

describe('outbox: a late reply queued in Redis is sent by a worker', { skip: skipWithoutRedis, concurrency: true }, () => {
  test('queued, then delivered exactly once through messages/reply; both steps logged and observed', async (t) => {
    const world = await outboxWorld(t)
    const observed = observe()
    const outbox = world.outbox({}, { observer: observed })
    await until(() => outbox.queue.ready) // queued, not sent directly: see twoFailed in cli.test.ts
    const late = { ...lateReply('slow question'), receivedAt: Date.now() - 6000 } // the fan has waited 6 s already
    await outbox.lateReply.send(late)
    await until(() => world.delivered().length === 1)
    await until(async () => (await outbox.queue.counts()).completed === 1)
    assert.deepEqual(world.delivered(), [{ text: 're: slow question' }])
    assert.equal(world.replyCalls().length, 1)
    assert.deepEqual(observed.events, ['enqueued:queued', 'attempted:sent', 'ended:sent'])
    const lines = world.logs.lines()
    const queued = lines.find((line) => line.msg === 'late reply queued in the outbox')
    assert.deepEqual((queued?.lateReply as { jobId?: unknown } | undefined)?.jobId, outboxJobId(late.dedupKey))
    const sent = lines.find((line) => line.msg === 'late reply sent from the outbox')?.lateReply as { durationMs?: number, apiMs?: number } | undefined
    assert.ok((sent?.durationMs ?? 0) >= 6000 && (sent?.apiMs ?? Infinity) < 6000, JSON.stringify(sent))
    assert.deepEqual(await outbox.queue.counts(), { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 1 })
  })

  test('the same dedup key queued twice is one job and one delivery', async (t) => {
    const world = await outboxWorld(t)
    // No worker yet: both sends land in the queue before anything is sent.
    const producer = world.outbox({ OUTBOX_CONCURRENCY: '0' })
    await until(() => producer.queue.ready) // queued, not sent directly: see twoFailed in cli.test.ts
    const late = lateReply('asked twice')
    await producer.lateReply.send(late)
    await producer.lateReply.send({ ...late, reply: { type: 'text', text: 'a second copy' } })
    assert.equal((await producer.queue.counts()).waiting, 1)

    world.outbox()
    await until(() => world.delivered().length === 1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(world.replyCalls().length, 1)
    assert.deepEqual(world.delivered(), [{ text: 're: asked twice' }])
  })

  test('a transient failure (HTTP 502, then 10001) is retried by BullMQ with its backoff, and delivered once', async (t) => {
    const world = await outboxWorld(t)
    world.fake.faults.inject({ kind: 'server-error', status: 502 })
    world.fake.faults.inject({ kind: 'system-error' })
    const observed = observe()
    const outbox = world.outbox({ OUTBOX_BACKOFF_MS: '50' }, { observer: observed })
    await until(() => outbox.queue.ready) // queued, not sent directly: see twoFailed in cli.test.ts
    await outbox.lateReply.send(lateReply('flaky weibo'))
    // The fake records the reply before its answer reaches the worker: wait for the worker's own report.
    await until(() => observed.events.includes('attempted:sent'))
    const calls = world.replyCalls()
    assert.deepEqual(calls.map((call) => call.status), [502, 500, 200])
    // No retries inside the client: each BullMQ attempt is one call, the waits are BullMQ's (50 ms, then 100 ms).
    const gaps = calls.slice(1).map((call, index) => call.at - (calls[index]?.at ?? 0))
    assert.ok((gaps[0] ?? 0) >= 45 && (gaps[1] ?? 0) >= 95, `gaps ${gaps.join(', ')}`)
    assert.deepEqual(observed.events, ['enqueued:queued', 'attempted:retrying', 'attempted:retrying', 'attempted:sent', 'ended:sent'])
    const retries = world.logs.lines().filter((line) => line.msg === 'late reply failed; the outbox will try again')
    assert.deepEqual(retries.map((line) => (line.lateReply as { errorCode?: unknown, attempt?: unknown }).errorCode), [undefined, 10001])
    assert.deepEqual(retries.map((line) => (line.lateReply as { attempt?: unknown }).attempt), [1, 2])
  })

  test('a transient failure on every attempt ends in the failed set after OUTBOX_ATTEMPTS tries', async (t) => {
    const world = await outboxWorld(t)
    world.fake.faults.inject({ kind: 'system-error' }, 3)
    const outbox = world.outbox({ OUTBOX_ATTEMPTS: '3' })
    await until(() => outbox.queue.ready) // queued, not sent directly: see twoFailed in cli.test.ts
    await outbox.lateReply.send(lateReply('always down'))
    await until(async () => (await outbox.queue.counts()).failed === 1)
    assert.equal(world.replyCalls().length, 3)
    const [failed] = await outbox.queue.listFailed({ limit: 10 })
    assert.equal(failed?.attemptsMade, 3)
    assert.equal(failed?.errorCode, 10001)
    assert.ok(world.logs.lines().some((line) => line.msg === 'late reply failed on its last attempt; it is in the outbox failed set (weibo-fanbot outbox list, outbox retry)'))
  })
})

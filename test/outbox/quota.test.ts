import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createMemoryQuotaStore } from '../../src/reply-quota/memory-quota-store.ts'
import { createReplyQuota } from '../../src/reply-quota/reply-quota.ts'
import { FAN, lateReply, outboxWorld, until } from '../helpers/outbox.ts'
import { skipWithoutRedis } from '../helpers/redis.ts'

describe('outbox and the bot\'s reply quota', { skip: skipWithoutRedis }, () => {
  test('a queued late reply the quota refuses fails at once with its WEIBO_ERR_QUOTA_* code, never reaching Weibo; retried after the fan writes, it is sent', async (t) => {
    const world = await outboxWorld(t)
    const limits = { windowMs: 48 * 3600_000, repliesPerWindow: 1, repliesPerMention: 1 }
    const quota = createReplyQuota({ store: createMemoryQuotaStore({ limits, maxFans: 10, now: Date.now }), limits, now: Date.now, logger: world.logs.logger })
    await quota.record({ type: 'text', sender_id: FAN })
    await quota.take(FAN, 1) // the window's one reply is already used
    const outbox = world.outbox({ OUTBOX_ATTEMPTS: '5' }, { quota })
    await until(() => outbox.queue.ready) // queued, not sent directly: see twoFailed in cli.test.ts
    await outbox.lateReply.send(lateReply('one too many'))
    await until(async () => (await outbox.queue.counts()).failed === 1)
    assert.equal(world.replyCalls().length, 0, 'nothing reached Weibo')
    const [failed] = await outbox.queue.listFailed({ limit: 10 })
    assert.equal(failed?.attemptsMade, 1)
    assert.equal(failed?.code, 'WEIBO_ERR_QUOTA_EXHAUSTED')

    await quota.record({ type: 'text', sender_id: FAN }) // the fan writes again: a fresh window
    assert.deepEqual(await outbox.queue.retryFailed('all'), { retried: [failed?.id], notFailed: [] })
    await until(() => world.delivered().length === 1)
    assert.deepEqual(world.delivered(), [{ text: 're: one too many' }])
  })
})

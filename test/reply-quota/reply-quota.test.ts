import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { isFanbotError } from '../../src/errors.ts'
import { createMemoryQuotaStore } from '../../src/reply-quota/memory-quota-store.ts'
import type { QuotaStore } from '../../src/reply-quota/quota-store.ts'
import { createReplyQuota, type ReplyQuota } from '../../src/reply-quota/reply-quota.ts'
import { ReplyRefusedError } from '../../src/reply-quota/reply-refused-error.ts'
import { captureLogs } from '../helpers/logs.ts'

const HOUR = 3600_000
const LIMITS = { windowMs: 48 * HOUR, repliesPerWindow: 2, repliesPerMention: 1 }

function setup (options: { store?: QuotaStore } = {}): { quota: ReplyQuota, clock: { now: number }, refused: string[], errors: string[], logs: ReturnType<typeof captureLogs> } {
  const clock = { now: 1_700_000_000_000 }
  const now = (): number => clock.now
  const refused: string[] = []
  const errors: string[] = []
  const logs = captureLogs('debug')
  const quota = createReplyQuota({
    store: options.store ?? createMemoryQuotaStore({ limits: LIMITS, maxFans: 100, now }),
    limits: LIMITS,
    now,
    logger: logs.logger,
    onRefused: (reason) => { refused.push(reason) },
    onError: (operation) => { errors.push(operation) }
  })
  return { quota, clock, refused, errors, logs }
}

async function refusal (promise: Promise<unknown>): Promise<ReplyRefusedError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof ReplyRefusedError, `expected ReplyRefusedError, got ${String(error)}`)
    return error
  }
  assert.fail('expected the reply to be refused')
}

const text = (fan: string): { type: string, sender_id: string } => ({ type: 'text', sender_id: fan })
const event = (fan: string, subtype: string): { type: string, sender_id: string, data: unknown } => ({ type: 'event', sender_id: fan, data: { subtype } })

describe('reply quota tracker', () => {
  test('refuses past the quota with WEIBO_ERR_QUOTA_EXHAUSTED and counts the refusal', async () => {
    const { quota, refused } = setup()
    await quota.record(text('1'))
    await quota.take('1', 2)
    const error = await refusal(quota.take('1', 1))
    assert.equal(error.code, 'WEIBO_ERR_QUOTA_EXHAUSTED')
    assert.equal(error.fanId, '1')
    assert.ok(isFanbotError(error, 'WEIBO_ERR_QUOTA_EXHAUSTED'))
    assert.deepEqual(refused, ['quota-exhausted'])
  })

  test('a follow event opens the window; an unfollow closes it (WEIBO_ERR_QUOTA_UNFOLLOWED)', async () => {
    const { quota } = setup()
    await quota.record(event('2', 'follow'))
    await quota.take('2', 1)
    await quota.record(event('2', 'unfollow'))
    assert.equal((await refusal(quota.take('2', 1))).code, 'WEIBO_ERR_QUOTA_UNFOLLOWED')
  })

  test('unsubscribe neither opens nor closes the window', async () => {
    const { quota, clock } = setup()
    clock.now += 48 * HOUR // tracking is older than a window: unknown fans have no window
    await quota.record(event('3', 'unsubscribe'))
    assert.equal((await refusal(quota.take('3', 1))).code, 'WEIBO_ERR_QUOTA_WINDOW_CLOSED')
  })

  test('a mention allows one reply (WEIBO_ERR_QUOTA_MENTION_USED after)', async () => {
    const { quota } = setup()
    await quota.record({ type: 'mention', sender_id: '4', data: { subtype: 'status' } })
    await quota.take('4', 1)
    assert.equal((await refusal(quota.take('4', 1))).code, 'WEIBO_ERR_QUOTA_MENTION_USED')
  })

  test('the window closes 48 h after the fan last wrote (WEIBO_ERR_QUOTA_WINDOW_CLOSED)', async () => {
    const { quota, clock } = setup()
    await quota.record(text('5'))
    clock.now += 48 * HOUR
    const error = await refusal(quota.take('5', 1))
    assert.equal(error.code, 'WEIBO_ERR_QUOTA_WINDOW_CLOSED')
    assert.equal(error.reason, 'window-expired')
  })

  test('a fan unseen since a fresh start may have written before it: the reply is left to Weibo; a window later it is refused', async () => {
    const { quota, clock, logs } = setup()
    const ticket = await quota.take('6', 1)
    assert.deepEqual(ticket.taken, [])
    assert.ok(logs.lines().some((line) => String(line.msg).includes('not seen since tracking began')))
    clock.now += 48 * HOUR
    assert.equal((await refusal(quota.take('6', 1))).reason, 'no-window')
  })

  test('a reply right after the push waits for the push to be recorded', async () => {
    const { quota, clock } = setup()
    clock.now += 48 * HOUR
    const recording = quota.record(text('7')) // not awaited, like the dispatcher
    await quota.take('7', 1)
    await recording
  })

  test('refunded replies can be taken again', async () => {
    const { quota } = setup()
    await quota.record(text('8'))
    const ticket = await quota.take('8', 2)
    await quota.refund(ticket, 1)
    await quota.take('8', 1)
    await refusal(quota.take('8', 1))
  })

  test('a failing store lets the reply through (Weibo judges it), logged and counted', async () => {
    const broken: QuotaStore = {
      kind: 'redis',
      size: 0,
      update: async () => { throw new Error('connection refused') },
      trackingSince: async () => 0
    }
    const { quota, errors, logs } = setup({ store: broken })
    await quota.record(text('9'))
    const ticket = await quota.take('9', 1)
    assert.deepEqual(ticket.taken, [])
    assert.deepEqual(errors, ['record', 'take'])
    assert.ok(logs.lines().some((line) => line.level === 40 && String(line.msg).includes('sending the reply unchecked')))
  })

  test('memory is bounded: past maxFans the fan touched longest ago is forgotten', async () => {
    const now = (): number => 0
    const store = createMemoryQuotaStore({ limits: LIMITS, maxFans: 2, now })
    const quota = createReplyQuota({ store, limits: LIMITS, now, logger: captureLogs('info').logger })
    for (const fan of ['a', 'b', 'c']) await quota.record(text(fan))
    assert.equal(store.size, 2)
  })
})

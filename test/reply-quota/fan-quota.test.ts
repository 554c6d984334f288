import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { weiboActivityOf, WEIBO_RULES } from '../../src/simulator/weibo-rules.ts'
import {
  activityOf, recordActivity, refundReplies, stateExpiresAt, takeReplies, type FanState, type ReplyLimits, type TakeResult
} from '../../src/reply-quota/fan-quota.ts'

const HOUR = 3600_000
const LIMITS: ReplyLimits = { windowMs: 48 * HOUR, repliesPerWindow: 3, repliesPerMention: 1 }
const FAN = '1001'

function take (state: FanState | undefined, at: number, count = 1): TakeResult {
  return takeReplies(state, { fanId: FAN, count, at, limits: LIMITS })
}

function allowed (result: TakeResult): FanState {
  assert.ok(result.allowed, result.allowed ? '' : `refused: ${result.reason} (${result.detail})`)
  return result.state
}

function reasonOf (result: TakeResult): string {
  assert.ok(!result.allowed, 'expected a refusal')
  return result.reason
}

describe('reply window and quota rules', () => {
  test('a message opens a 48 h window; it closes at 48 h', () => {
    const state = recordActivity(undefined, 'interaction', 0, LIMITS)
    allowed(take(state, 48 * HOUR - 1))
    assert.equal(reasonOf(take(state, 48 * HOUR)), 'window-expired')
  })

  test('a fan never seen has no window', () => {
    assert.equal(reasonOf(take(undefined, 0)), 'no-window')
  })

  test('the quota runs out inside the window, and a new message renews it', () => {
    let state = recordActivity(undefined, 'interaction', 0, LIMITS)
    for (let reply = 0; reply < 3; reply++) state = allowed(take(state, HOUR))
    const refusal = take(state, HOUR)
    assert.equal(reasonOf(refusal), 'quota-exhausted')
    assert.match(refusal.allowed ? '' : refusal.detail, /all 3 replies/)
    state = recordActivity(state, 'interaction', 2 * HOUR, LIMITS)
    allowed(take(state, 2 * HOUR))
  })

  test('several replies are taken all or none', () => {
    let state = recordActivity(undefined, 'interaction', 0, LIMITS)
    state = allowed(take(state, HOUR, 2))
    const refusal = take(state, HOUR, 2)
    assert.equal(reasonOf(refusal), 'quota-exhausted')
    assert.match(refusal.allowed ? '' : refusal.detail, /only 1 of this 48 h window's replies are left \(2 replies asked at once\)/)
    // The refused request took nothing: the last reply is still there.
    allowed(take(state, HOUR, 1))
  })

  test('a mention allows one reply within 48 h, and no more', () => {
    let state = recordActivity(undefined, 'mention', 0, LIMITS)
    const first = take(state, HOUR)
    state = allowed(first)
    assert.deepEqual(first.allowed && first.taken, [{ mentionAt: 0 }])
    assert.equal(reasonOf(take(state, HOUR)), 'mention-used')
    const fresh = recordActivity(undefined, 'mention', 0, LIMITS)
    assert.equal(reasonOf(take(fresh, 48 * HOUR)), 'no-window')
  })

  test('two mentions allow two replies; the window is used before mention credits', () => {
    let state = recordActivity(undefined, 'mention', 0, LIMITS)
    state = recordActivity(state, 'mention', HOUR, LIMITS)
    state = allowed(take(state, 2 * HOUR, 2))
    assert.equal(reasonOf(take(state, 2 * HOUR)), 'mention-used')

    let both = recordActivity(undefined, 'mention', 0, LIMITS)
    both = recordActivity(both, 'interaction', 0, LIMITS)
    const result = take(both, HOUR, 4)
    assert.deepEqual(result.allowed && result.taken, ['window', 'window', 'window', { mentionAt: 0 }])
  })

  test('an unfollow closes the window and cancels mentions until the fan writes again', () => {
    let state = recordActivity(undefined, 'interaction', 0, LIMITS)
    state = recordActivity(state, 'mention', 0, LIMITS)
    state = recordActivity(state, 'unfollow', HOUR, LIMITS)
    assert.equal(reasonOf(take(state, HOUR)), 'unfollowed')
    state = recordActivity(state, 'interaction', 2 * HOUR, LIMITS) // followed again
    allowed(take(state, 2 * HOUR))
  })

  test('a refund gives back unsent replies, but not into a newer window', () => {
    let state = recordActivity(undefined, 'interaction', 0, LIMITS)
    const result = take(state, HOUR, 3)
    state = allowed(result)
    const taken = result.allowed ? result.taken : []
    assert.equal(reasonOf(take(state, HOUR)), 'quota-exhausted')
    const refunded = refundReplies(state, taken.slice(1), HOUR)
    allowed(take(refunded, HOUR, 2))
    // The fan wrote again after the take: the count already restarted, and a refund must not push it below zero.
    const renewed = recordActivity(state, 'interaction', 2 * HOUR, LIMITS)
    assert.equal(refundReplies(renewed, taken, HOUR).repliesUsedInWindow, 0)
  })

  test('a state expires when its window, its mentions and its unfollow have all expired', () => {
    let state = recordActivity(undefined, 'interaction', 0, LIMITS)
    state = recordActivity(state, 'mention', 5 * HOUR, LIMITS)
    assert.equal(stateExpiresAt(state, LIMITS), 53 * HOUR)
    assert.equal(stateExpiresAt(recordActivity(state, 'unfollow', 7 * HOUR, LIMITS), LIMITS), 55 * HOUR)
  })
})

describe('which pushes open the reply window (seed 000: messages, follow/subscribe, menu click, QR scan only)', () => {
  test('a view event (a menu link opened) does not open it; nor unsubscribe or an unknown subtype', () => {
    for (const subtype of ['view', 'unsubscribe', 'something_new']) assert.equal(activityOf({ type: 'event', data: { subtype } }), undefined, subtype)
    for (const subtype of ['follow', 'subscribe', 'click', 'scan', 'scan_follow']) assert.equal(activityOf({ type: 'event', data: { subtype } }), 'interaction', subtype)
    assert.equal(activityOf({ type: 'event', data: { subtype: 'unfollow' } }), 'unfollow')
  })

  test("the bot's tracker agrees with the simulator's own table on every push fixture", () => {
    const dir = new URL('../fixtures/', import.meta.url)
    const names = readdirSync(dir).filter((name) => name.endsWith('.json'))
    assert.ok(names.includes('event-view.json'))
    for (const name of names) {
      const push = JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as { type: string, data?: unknown }
      assert.equal(activityOf(push), weiboActivityOf(push), name)
    }
  })

  test('the bot uses the same 48 h, 99 per window and 1 per mention as the simulator states', async () => {
    const { DEFAULT_REPLY_LIMITS } = await import('../../src/reply-quota/fan-quota.ts')
    assert.deepEqual({ ...DEFAULT_REPLY_LIMITS }, { windowMs: WEIBO_RULES.replyWindowMs, repliesPerWindow: WEIBO_RULES.repliesPerWindow, repliesPerMention: WEIBO_RULES.repliesPerMention })
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FAKE_API_ERRORS } from '../../src/simulator/fake-api-errors.ts'
import { activityOf, createReplyRules, DEFAULT_PLATFORM_RULES, type ReplyDecision } from '../../src/simulator/reply-rules.ts'
import { HOUR, testClock } from '../helpers/simulator-api.ts'

const FAN = '1001'

function reasonOf (decision: ReplyDecision): string {
  return decision.allowed ? `allowed via ${decision.via}` : decision.reason
}

describe('activityOf', () => {
  it('maps pushes to what they mean for replies', () => {
    assert.equal(activityOf({ type: 'text' }), 'interaction')
    assert.equal(activityOf({ type: 'image', data: { vfid: 1, tovfid: 2 } }), 'interaction')
    assert.equal(activityOf({ type: 'event', data: { subtype: 'follow' } }), 'interaction')
    assert.equal(activityOf({ type: 'event', data: { subtype: 'click', key: 'menu' } }), 'interaction')
    assert.equal(activityOf({ type: 'event', data: { subtype: 'scan_follow' } }), 'interaction')
    assert.equal(activityOf({ type: 'event', data: { subtype: 'unfollow' } }), 'unfollow')
    assert.equal(activityOf({ type: 'event', data: { subtype: 'unsubscribe' } }), undefined)
    assert.equal(activityOf({ type: 'event', data: { subtype: 'view', key: 'https://example.com' } }), undefined, 'a link opened: no window')
    assert.equal(activityOf({ type: 'mention', data: { subtype: 'comment', key: '1' } }), 'mention')
  })
})

describe('createReplyRules', () => {
  it('has the documented defaults: 48 h, 99 replies, 1 per mention', () => {
    assert.deepEqual({ ...createReplyRules().rules }, { windowMs: 48 * HOUR, repliesPerWindow: 99, repliesPerMention: 1 })
    assert.deepEqual({ ...DEFAULT_PLATFORM_RULES }, { windowMs: 48 * HOUR, repliesPerWindow: 99, repliesPerMention: 1 })
  })

  it('refuses a fan it has never heard from, with 20301, and does not start tracking them', () => {
    const rules = createReplyRules({ now: testClock().now })
    const decision = rules.takeReply(FAN)
    assert.equal(decision.allowed, false)
    assert.ok(!decision.allowed)
    assert.equal(decision.reason, 'no-window')
    assert.equal(decision.error, 'REPLY_WINDOW_CLOSED')
    assert.equal(decision.errorCode, 20301)
    assert.equal(rules.size, 0)
  })

  it('allows replies for 48 h after a message, not at 48 h', () => {
    const clock = testClock()
    const rules = createReplyRules({ now: clock.now })
    rules.record(FAN, 'interaction')
    clock.advance(48 * HOUR - 1)
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via window')
    clock.advance(1)
    const decision = rules.takeReply(FAN)
    assert.equal(reasonOf(decision), 'window-expired')
    assert.ok(!decision.allowed && decision.errorCode === 20301 && decision.detail.includes('48 h'))
  })

  it('allows 99 replies per window, refuses the 100th with 20016, and renews the quota when the fan writes again', () => {
    const clock = testClock()
    const rules = createReplyRules({ now: clock.now })
    rules.record(FAN, 'interaction')
    for (let i = 0; i < 99; i++) assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via window', `reply ${i + 1}`)
    const refused = rules.takeReply(FAN)
    assert.equal(reasonOf(refused), 'quota-exhausted')
    assert.ok(!refused.allowed && refused.errorCode === 20016 && refused.detail.includes('99'))
    assert.equal(rules.stateOf(FAN)?.repliesUsedInWindow, 99)
    clock.advance(HOUR)
    rules.record(FAN, 'interaction')
    assert.equal(rules.stateOf(FAN)?.repliesUsedInWindow, 0)
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via window')
  })

  it('gives a mention exactly one reply, valid for 48 h', () => {
    const clock = testClock()
    const rules = createReplyRules({ now: clock.now })
    rules.record(FAN, 'mention')
    assert.equal(rules.isFollower(FAN), false, 'a mention does not make a follower')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via mention')
    const refused = rules.takeReply(FAN)
    assert.equal(reasonOf(refused), 'mention-used')
    assert.ok(!refused.allowed && refused.errorCode === 20016)

    rules.record(FAN, 'mention')
    clock.advance(48 * HOUR)
    assert.equal(reasonOf(rules.takeReply(FAN)), 'no-window', 'an unused mention credit expires with its window')
  })

  it('gives each mention its own reply', () => {
    const rules = createReplyRules({ now: testClock().now })
    rules.record(FAN, 'mention')
    rules.record(FAN, 'mention')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via mention')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via mention')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'mention-used')
  })

  it('spends the window quota before a mention credit', () => {
    const rules = createReplyRules({ now: testClock().now, rules: { repliesPerWindow: 1 } })
    rules.record(FAN, 'interaction')
    rules.record(FAN, 'mention')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via window')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via mention')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'quota-exhausted')
  })

  it('refuses after an unfollow until the fan follows or writes again', () => {
    const rules = createReplyRules({ now: testClock().now })
    rules.record(FAN, 'interaction')
    rules.record(FAN, 'mention')
    assert.equal(rules.isFollower(FAN), true)
    rules.record(FAN, 'unfollow')
    assert.equal(rules.isFollower(FAN), false)
    const refused = rules.takeReply(FAN)
    assert.equal(reasonOf(refused), 'unfollowed')
    assert.ok(!refused.allowed && refused.error === 'FAN_UNFOLLOWED' && refused.errorCode === 20301)
    assert.deepEqual(rules.stateOf(FAN)?.mentionCredits, [], 'the unfollow cancels earlier mention credits')

    rules.record(FAN, 'interaction')
    assert.equal(rules.isFollower(FAN), true)
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via window')
  })

  it('still answers a mention made after an unfollow, once', () => {
    const rules = createReplyRules({ now: testClock().now })
    rules.record(FAN, 'interaction')
    rules.record(FAN, 'unfollow')
    rules.record(FAN, 'mention')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via mention')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'unfollowed')
  })

  it('check() decides without counting', () => {
    const rules = createReplyRules({ now: testClock().now, rules: { repliesPerWindow: 1 } })
    rules.record(FAN, 'interaction')
    assert.equal(reasonOf(rules.check(FAN)), 'allowed via window')
    assert.equal(reasonOf(rules.check(FAN)), 'allowed via window')
    assert.equal(rules.stateOf(FAN)?.repliesUsedInWindow, 0)
    rules.takeReply(FAN)
    assert.equal(reasonOf(rules.check(FAN)), 'quota-exhausted')
  })

  it('follows configured rules', () => {
    const clock = testClock()
    const rules = createReplyRules({ now: clock.now, rules: { windowMs: 1000, repliesPerWindow: 2, repliesPerMention: 3 } })
    rules.record(FAN, 'interaction')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via window')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via window')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'quota-exhausted')
    clock.advance(1000)
    assert.equal(reasonOf(rules.takeReply(FAN)), 'window-expired')
    rules.record(FAN, 'mention')
    for (let i = 0; i < 3; i++) assert.equal(reasonOf(rules.takeReply(FAN)), 'allowed via mention')
    assert.equal(reasonOf(rules.takeReply(FAN)), 'mention-used')
  })

  it('tracks at most maxFans fans, forgetting the least recently active first', () => {
    const rules = createReplyRules({ now: testClock().now, maxFans: 3 })
    for (const fan of ['1', '2', '3']) rules.record(fan, 'interaction')
    rules.record('1', 'interaction') // 1 is now the most recent; 2 is the oldest
    rules.record('4', 'interaction')
    assert.equal(rules.size, 3)
    assert.equal(rules.stateOf('2'), undefined)
    assert.equal(reasonOf(rules.takeReply('2')), 'no-window')
    for (const fan of ['1', '3', '4']) assert.equal(reasonOf(rules.takeReply(fan)), 'allowed via window')
  })

  it('keeps at most 100 mention credits per fan', () => {
    const rules = createReplyRules({ now: testClock().now })
    for (let i = 0; i < 150; i++) rules.record(FAN, 'mention')
    assert.equal(rules.stateOf(FAN)?.mentionCredits.length, 100)
  })

  it('hands out copies of its state', () => {
    const rules = createReplyRules({ now: testClock().now })
    rules.record(FAN, 'mention')
    const state = rules.stateOf(FAN)
    assert.ok(state !== undefined)
    state.repliesUsedInWindow = 50
    const [credit] = state.mentionCredits
    assert.ok(credit !== undefined)
    credit.remaining = 0
    assert.equal(rules.stateOf(FAN)?.repliesUsedInWindow, 0)
    assert.equal(rules.stateOf(FAN)?.mentionCredits[0]?.remaining, 1)
  })

  it('maps every refusal to an error of the registry with the same code', () => {
    const clock = testClock()
    const rules = createReplyRules({ now: clock.now, rules: { repliesPerWindow: 0 } })
    rules.record(FAN, 'interaction')
    const decision = rules.takeReply(FAN)
    assert.ok(!decision.allowed)
    assert.equal(decision.errorCode, FAKE_API_ERRORS[decision.error].errorCode)
  })
})

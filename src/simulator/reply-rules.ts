import {
  activityOf, DEFAULT_REPLY_LIMITS, recordActivity, takeReplies,
  type FanActivity, type FanState, type RefusalReason, type ReplyLimits
} from '../reply-quota/fan-quota.ts'
import { FAKE_API_ERRORS, type FakeApiErrorName } from './fake-api-errors.ts'

export { activityOf }
export type { FanActivity, FanState, FollowState, MentionCredit, RefusalReason } from '../reply-quota/fan-quota.ts'

/** The platform's limits on active replies (protocol §4.3), as the fake Weibo API enforces them. */
export type PlatformRules = ReplyLimits
export const DEFAULT_PLATFORM_RULES: Readonly<PlatformRules> = DEFAULT_REPLY_LIMITS

export type ReplyDecision =
  | { allowed: true, via: 'window' | 'mention' }
  | { allowed: false, reason: RefusalReason, error: FakeApiErrorName, errorCode: number, detail: string }

export interface ReplyRules {
  readonly rules: Readonly<PlatformRules>
  record: (fanId: string, activity: FanActivity) => void
  /** Decides whether one active reply may go to the fan now and, when it may, counts it. */
  takeReply: (fanId: string) => ReplyDecision
  /** The same decision without counting anything. */
  check: (fanId: string) => ReplyDecision
  /** For the commercial DM API: a fan who followed or messaged, and has not unfollowed since. */
  isFollower: (fanId: string) => boolean
  /** A copy of what is known about the fan. */
  stateOf: (fanId: string) => FanState | undefined
  readonly size: number
}

export interface ReplyRulesOptions {
  rules?: Partial<PlatformRules> | undefined
  now?: () => number
  /** Fans tracked at most; past it the fan idle the longest is forgotten. */
  maxFans?: number
}

export const DEFAULT_MAX_FANS = 100_000

const REFUSAL_ERRORS: Record<RefusalReason, FakeApiErrorName> = {
  'no-window': 'REPLY_WINDOW_CLOSED',
  'window-expired': 'REPLY_WINDOW_CLOSED',
  unfollowed: 'FAN_UNFOLLOWED',
  'quota-exhausted': 'REPLY_QUOTA_EXHAUSTED',
  'mention-used': 'MENTION_REPLY_USED'
}

/**
 * Weibo's side of the reply rules (the rules themselves are in `reply-quota/fan-quota.ts`, shared with the bot's
 * own tracker), with an injectable clock. Weibo knows every fan, so a fan the fake never saw has no window.
 * Memory is bounded: at most `maxFans` fans (least recently active forgotten first).
 */
export function createReplyRules (options: ReplyRulesOptions = {}): ReplyRules {
  const rules: Readonly<PlatformRules> = Object.freeze({ ...DEFAULT_REPLY_LIMITS, ...options.rules })
  const now = options.now ?? Date.now
  const maxFans = options.maxFans ?? DEFAULT_MAX_FANS
  // A Map keeps insertion order: re-inserting on activity makes its first key the least recently active fan.
  const fans = new Map<string, FanState>()

  function decide (fanId: string, consume: boolean): ReplyDecision {
    const result = takeReplies(fans.get(fanId), { fanId, count: 1, at: now(), limits: rules })
    if (!result.allowed) {
      const error = REFUSAL_ERRORS[result.reason]
      return { allowed: false, reason: result.reason, error, errorCode: FAKE_API_ERRORS[error].errorCode, detail: result.detail }
    }
    if (consume) fans.set(fanId, result.state)
    return { allowed: true, via: result.taken[0] === 'window' ? 'window' : 'mention' }
  }

  return {
    rules,
    record (fanId, activity) {
      const state = recordActivity(fans.get(fanId), activity, now(), rules)
      fans.delete(fanId)
      fans.set(fanId, state)
      for (const oldest of fans.keys()) {
        if (fans.size <= maxFans) break
        fans.delete(oldest)
      }
    },
    takeReply: (fanId) => decide(fanId, true),
    check: (fanId) => decide(fanId, false),
    isFollower: (fanId) => fans.get(fanId)?.followState === 'following',
    stateOf (fanId) {
      const state = fans.get(fanId)
      return state === undefined ? undefined : { ...state, mentionCredits: state.mentionCredits.map((credit) => ({ ...credit })) }
    },
    get size () { return fans.size }
  }
}

import { FAKE_API_ERRORS, type FakeApiErrorName } from './fake-api-errors.ts'
import { WEIBO_RULES, weiboActivityOf, type WeiboActivity } from './weibo-rules.ts'

/** What a push means for replies (see weibo-rules.ts). */
export type FanActivity = WeiboActivity
export const activityOf = weiboActivityOf

/** The platform's limits on active replies, as the fake Weibo API enforces them; a test may shorten them. */
export interface PlatformRules {
  windowMs: number
  repliesPerWindow: number
  repliesPerMention: number
}

export const DEFAULT_PLATFORM_RULES: Readonly<PlatformRules> = Object.freeze({
  windowMs: WEIBO_RULES.replyWindowMs,
  repliesPerWindow: WEIBO_RULES.repliesPerWindow,
  repliesPerMention: WEIBO_RULES.repliesPerMention
})

export type FollowState = 'unknown' | 'following' | 'unfollowed'
export interface MentionCredit { at: number, remaining: number }
export type RefusalReason = 'no-window' | 'window-expired' | 'unfollowed' | 'quota-exhausted' | 'mention-used'

/** What Weibo knows of one fan. */
export interface FanState {
  /** The last push that opened the window; undefined when none did (or an unfollow came after). */
  lastActivityAt: number | undefined
  repliesUsedInWindow: number
  followState: FollowState
  unfollowedAt?: number | undefined
  /** One per mention inside its window, oldest first. */
  mentionCredits: MentionCredit[]
}

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
/** Mention credits kept per fan (memory stays bounded under a burst of mentions). */
const MAX_MENTIONS = 100

const REFUSAL_ERRORS: Record<RefusalReason, FakeApiErrorName> = {
  'no-window': 'REPLY_WINDOW_CLOSED',
  'window-expired': 'REPLY_WINDOW_CLOSED',
  unfollowed: 'FAN_UNFOLLOWED',
  'quota-exhausted': 'REPLY_QUOTA_EXHAUSTED',
  'mention-used': 'MENTION_REPLY_USED'
}

function hours (ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000} h`
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

/**
 * Weibo's side of the reply rules, with an injectable clock: its own reading of the platform's table
 * (weibo-rules.ts), independent of the bot's tracker. Weibo knows every fan, so a fan the fake never saw has no
 * window. Each opening push starts a fresh window with a fresh quota; a reply is taken from the window first, then
 * from the oldest mention still unanswered. Memory is bounded: at most `maxFans` fans (least recently active
 * forgotten first).
 */
export function createReplyRules (options: ReplyRulesOptions = {}): ReplyRules {
  const rules: Readonly<PlatformRules> = Object.freeze({ ...DEFAULT_PLATFORM_RULES, ...options.rules })
  const now = options.now ?? Date.now
  const maxFans = options.maxFans ?? DEFAULT_MAX_FANS
  // A Map keeps insertion order: re-inserting on activity makes its first key the least recently active fan.
  const fans = new Map<string, FanState>()

  const inWindow = (since: number, at: number): boolean => at - since < rules.windowMs
  const refuse = (reason: RefusalReason, detail: string): ReplyDecision =>
    ({ allowed: false, reason, error: REFUSAL_ERRORS[reason], errorCode: FAKE_API_ERRORS[REFUSAL_ERRORS[reason]].errorCode, detail })

  function decide (fanId: string, consume: boolean): ReplyDecision {
    const fan = fans.get(fanId)
    const at = now()
    if (fan === undefined) return refuse('no-window', `fan ${fanId} has never messaged the account`)
    const windowOpen = fan.followState !== 'unfollowed' && fan.lastActivityAt !== undefined && inWindow(fan.lastActivityAt, at)
    if (windowOpen && fan.repliesUsedInWindow < rules.repliesPerWindow) {
      if (consume) fan.repliesUsedInWindow++
      return { allowed: true, via: 'window' }
    }
    const mentions = fan.mentionCredits.filter((credit) => inWindow(credit.at, at))
    const credit = mentions.find((candidate) => candidate.remaining > 0)
    if (credit !== undefined) {
      if (consume) credit.remaining--
      return { allowed: true, via: 'mention' }
    }
    if (windowOpen) {
      return refuse('quota-exhausted', `all ${rules.repliesPerWindow} replies of this ${hours(rules.windowMs)} window are used; the quota renews when the fan writes again`)
    }
    if (fan.followState === 'unfollowed') return refuse('unfollowed', `fan ${fanId} unfollowed; no reply until they follow or write again`)
    if (mentions.length > 0) {
      return refuse('mention-used', `each mention allows ${rules.repliesPerMention} repl${rules.repliesPerMention === 1 ? 'y' : 'ies'} within ${hours(rules.windowMs)}`)
    }
    if (fan.lastActivityAt !== undefined) return refuse('window-expired', `fan ${fanId} last wrote more than ${hours(rules.windowMs)} ago`)
    return refuse('no-window', `fan ${fanId} has never messaged the account`)
  }

  function apply (fan: FanState, activity: FanActivity, at: number): FanState {
    switch (activity) {
      case 'interaction':
        return { ...fan, lastActivityAt: at, repliesUsedInWindow: 0, followState: 'following', unfollowedAt: undefined }
      case 'mention':
        return { ...fan, mentionCredits: [...fan.mentionCredits.filter((credit) => inWindow(credit.at, at)), { at, remaining: rules.repliesPerMention }].slice(-MAX_MENTIONS) }
      case 'unfollow':
        return { lastActivityAt: undefined, repliesUsedInWindow: 0, followState: 'unfollowed', unfollowedAt: at, mentionCredits: [] }
    }
  }

  return {
    rules,
    record (fanId, activity) {
      const previous = fans.get(fanId) ?? { lastActivityAt: undefined, repliesUsedInWindow: 0, followState: 'unknown', mentionCredits: [] }
      fans.delete(fanId)
      fans.set(fanId, apply(previous, activity, now()))
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

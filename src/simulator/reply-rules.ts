import { FAKE_API_ERRORS, type FakeApiErrorName } from './fake-api-errors.ts'

/** The platform's limits on active replies (protocol §4.3). Configurable because Weibo has changed them before. */
export interface PlatformRules {
  /** How long after a fan's message or event the account may reply, and how long a mention's reply stays allowed. */
  windowMs: number
  /** Active replies allowed per window (the biz doc's "generally 99"). */
  repliesPerWindow: number
  /** Active replies a single mention allows. */
  repliesPerMention: number
}

export const DEFAULT_PLATFORM_RULES: Readonly<PlatformRules> = Object.freeze({
  windowMs: 48 * 3600_000,
  repliesPerWindow: 99,
  repliesPerMention: 1
})

/** What a push tells the rules: the fan interacted (message or event), mentioned us, or unfollowed. */
export type FanActivity = 'interaction' | 'mention' | 'unfollow'

export type FollowState = 'unknown' | 'following' | 'unfollowed'

export interface MentionCredit {
  at: number
  remaining: number
}

export interface FanState {
  /** Last message or event (not mention, not unfollow); undefined when the fan never interacted. */
  lastActivityAt: number | undefined
  repliesUsedInWindow: number
  followState: FollowState
  /** One per mention still inside its window, oldest first; spent ones are kept to explain a refusal. */
  mentionCredits: MentionCredit[]
}

export type RefusalReason = 'no-window' | 'window-expired' | 'unfollowed' | 'quota-exhausted' | 'mention-used'

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
  rules?: Partial<PlatformRules>
  now?: () => number
  /** Fans tracked at most; past it the fan idle the longest is forgotten. */
  maxFans?: number
}

export const DEFAULT_MAX_FANS = 100_000
/** A fan mentioning us in a burst keeps at most this many credits; the oldest go first. */
const MAX_MENTION_CREDITS = 100

const REFUSAL_ERRORS: Record<RefusalReason, FakeApiErrorName> = {
  'no-window': 'REPLY_WINDOW_CLOSED',
  'window-expired': 'REPLY_WINDOW_CLOSED',
  unfollowed: 'FAN_UNFOLLOWED',
  'quota-exhausted': 'REPLY_QUOTA_EXHAUSTED',
  'mention-used': 'MENTION_REPLY_USED'
}

/**
 * Maps a push to what it means for replies: any message or event opens the window, except `unfollow` (closes it)
 * and `unsubscribe` (leaves the subscription service, not the account: the window neither opens nor closes).
 */
export function activityOf (push: { type: string, data?: unknown }): FanActivity | undefined {
  if (push.type === 'mention') return 'mention'
  if (push.type !== 'event') return 'interaction'
  const subtype = typeof push.data === 'object' && push.data !== null ? (push.data as { subtype?: unknown }).subtype : undefined
  if (subtype === 'unfollow') return 'unfollow'
  if (subtype === 'unsubscribe') return undefined
  return 'interaction'
}

function refuse (reason: RefusalReason, detail: string): ReplyDecision {
  const error = REFUSAL_ERRORS[reason]
  return { allowed: false, reason, error, errorCode: FAKE_API_ERRORS[error].errorCode, detail }
}

/** A window length for an error text: "48 h" for the real rules, seconds or ms for a test's short ones. */
function formatWindow (ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000} h`
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

/**
 * The platform's reply rules per fan, with an injectable clock. Choices where Weibo's docs are silent:
 * - each message or event starts a fresh window with a fresh quota ("99 within 48 h of the user's last active
 *   message", protocol §4.3), so the count resets whenever the fan writes again;
 * - replies are taken from the window's quota first, then from the oldest unspent mention credit;
 * - an unfollow closes the window and cancels mention credits; a later follow, message, event or mention reopens.
 * Memory is bounded: at most `maxFans` fans (least recently active forgotten first), 100 credits per fan.
 */
export function createReplyRules (options: ReplyRulesOptions = {}): ReplyRules {
  const rules: Readonly<PlatformRules> = Object.freeze({ ...DEFAULT_PLATFORM_RULES, ...options.rules })
  const now = options.now ?? Date.now
  const maxFans = options.maxFans ?? DEFAULT_MAX_FANS
  // A Map keeps insertion order: re-inserting on activity makes its first key the least recently active fan.
  const fans = new Map<string, FanState>()

  function touch (fanId: string): FanState {
    const state = fans.get(fanId) ?? { lastActivityAt: undefined, repliesUsedInWindow: 0, followState: 'unknown', mentionCredits: [] }
    fans.delete(fanId)
    fans.set(fanId, state)
    for (const oldest of fans.keys()) {
      if (fans.size <= maxFans) break
      fans.delete(oldest)
    }
    return state
  }

  function liveCredits (state: FanState, at: number): MentionCredit[] {
    state.mentionCredits = state.mentionCredits.filter((credit) => at - credit.at < rules.windowMs)
    return state.mentionCredits
  }

  function decide (fanId: string, consume: boolean): ReplyDecision {
    const state = fans.get(fanId)
    if (state === undefined) return refuse('no-window', `fan ${fanId} has never messaged the account`)
    const at = now()
    const windowOpen = state.followState !== 'unfollowed' && state.lastActivityAt !== undefined &&
      at - state.lastActivityAt < rules.windowMs
    if (windowOpen && state.repliesUsedInWindow < rules.repliesPerWindow) {
      if (consume) state.repliesUsedInWindow++
      return { allowed: true, via: 'window' }
    }
    const credits = liveCredits(state, at)
    const credit = credits.find((candidate) => candidate.remaining > 0)
    if (credit !== undefined) {
      if (consume) credit.remaining--
      return { allowed: true, via: 'mention' }
    }
    if (windowOpen) {
      return refuse('quota-exhausted', `all ${rules.repliesPerWindow} replies of this ${formatWindow(rules.windowMs)} window are used; the quota renews when the fan writes again`)
    }
    if (state.followState === 'unfollowed') return refuse('unfollowed', `fan ${fanId} unfollowed; no reply until they follow or write again`)
    if (credits.length > 0) {
      return refuse('mention-used', `each mention allows ${rules.repliesPerMention} repl${rules.repliesPerMention === 1 ? 'y' : 'ies'} within ${formatWindow(rules.windowMs)}`)
    }
    if (state.lastActivityAt !== undefined) {
      return refuse('window-expired', `fan ${fanId} last wrote more than ${formatWindow(rules.windowMs)} ago`)
    }
    return refuse('no-window', `fan ${fanId} has never messaged the account`)
  }

  return {
    rules,
    record (fanId, activity) {
      const state = touch(fanId)
      const at = now()
      switch (activity) {
        case 'interaction':
          state.lastActivityAt = at
          state.repliesUsedInWindow = 0
          state.followState = 'following'
          break
        case 'mention':
          liveCredits(state, at).push({ at, remaining: rules.repliesPerMention })
          if (state.mentionCredits.length > MAX_MENTION_CREDITS) state.mentionCredits.shift()
          break
        case 'unfollow':
          state.followState = 'unfollowed'
          state.lastActivityAt = undefined
          state.repliesUsedInWindow = 0
          state.mentionCredits = []
          break
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

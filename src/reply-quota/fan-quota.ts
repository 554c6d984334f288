/**
 * The platform's reply rules for one fan (protocol §4.3), as pure functions over a plain state object, so the same
 * rules run in the bot's quota tracker (memory or Redis); the simulator states Weibo's rules on its own
 * (simulator/weibo-rules.ts), so the fake can catch a mistake here. Choices where
 * Weibo's docs are silent:
 * - each message or event starts a fresh window with a fresh quota ("99 within 48 h of the user's last active
 *   message"), so the count resets whenever the fan writes again;
 * - replies are taken from the window's quota first, then from the oldest unspent mention credit;
 * - an unfollow closes the window and cancels mention credits; a later follow, message, event or mention reopens.
 */

/** The platform's limits on active replies. Configurable because Weibo has changed them before. */
export interface ReplyLimits {
  /** How long after a fan's message or event the account may reply, and how long a mention's reply stays allowed. */
  windowMs: number
  /** Active replies allowed per window (the biz doc's "generally 99"). */
  repliesPerWindow: number
  /** Active replies a single mention allows. */
  repliesPerMention: number
}

export const DEFAULT_REPLY_LIMITS: Readonly<ReplyLimits> = Object.freeze({
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
  /** When the fan unfollowed, while that is the latest news of them. */
  unfollowedAt?: number | undefined
  /** One per mention still inside its window, oldest first; spent ones are kept to explain a refusal. */
  mentionCredits: MentionCredit[]
}

export type RefusalReason = 'no-window' | 'window-expired' | 'unfollowed' | 'quota-exhausted' | 'mention-used'

/** Where one reply was taken from: the window's quota, or the mention credit made at `mentionAt`. */
export type ReplySource = 'window' | { mentionAt: number }

export type TakeResult =
  | { allowed: true, state: FanState, taken: ReplySource[] }
  | { allowed: false, reason: RefusalReason, detail: string }

/** A fan keeps at most this many mention credits; the oldest go first (bounded memory under a mention burst). */
const MAX_MENTION_CREDITS = 100

/** Event subtypes that open the reply window (seed 000): follow/subscribe, menu click, QR scan. Not `view`. */
const OPENING_EVENTS: ReadonlySet<string> = new Set(['follow', 'subscribe', 'click', 'scan', 'scan_follow'])

/**
 * Maps a push to what it means for replies: a message (text, position, voice, image) or one of OPENING_EVENTS
 * opens the window; `unfollow` closes it; any other event (`view`: a menu link opened, `unsubscribe`, a subtype
 * Weibo adds later) neither opens nor closes it, so no reply is promised that Weibo would refuse.
 */
export function activityOf (push: { type: string, data?: unknown }): FanActivity | undefined {
  if (push.type === 'mention') return 'mention'
  if (push.type !== 'event') return 'interaction'
  const subtype = typeof push.data === 'object' && push.data !== null ? (push.data as { subtype?: unknown }).subtype : undefined
  if (subtype === 'unfollow') return 'unfollow'
  return typeof subtype === 'string' && OPENING_EVENTS.has(subtype) ? 'interaction' : undefined
}

/** A window length for an error text: "48 h" for the real rules, seconds or ms for a test's short ones. */
export function formatWindow (ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000} h`
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

function copyState (state: FanState): FanState {
  return { ...state, mentionCredits: state.mentionCredits.map((credit) => ({ ...credit })) }
}

function emptyState (): FanState {
  return { lastActivityAt: undefined, repliesUsedInWindow: 0, followState: 'unknown', mentionCredits: [] }
}

function liveCredits (credits: MentionCredit[], at: number, limits: ReplyLimits): MentionCredit[] {
  return credits.filter((credit) => at - credit.at < limits.windowMs)
}

/** The fan's state after a push; the input is not changed. */
export function recordActivity (previous: FanState | undefined, activity: FanActivity, at: number, limits: ReplyLimits): FanState {
  if (activity === 'interaction') {
    // Every field is set anew but the mention credits (copied): the state of nearly every push, built directly.
    const mentionCredits = previous === undefined || previous.mentionCredits.length === 0 ? [] : previous.mentionCredits.map((credit) => ({ ...credit }))
    return { lastActivityAt: at, repliesUsedInWindow: 0, followState: 'following', unfollowedAt: undefined, mentionCredits }
  }
  const state = previous === undefined ? emptyState() : copyState(previous)
  switch (activity) {
    case 'mention': {
      const credits = [...liveCredits(state.mentionCredits, at, limits), { at, remaining: limits.repliesPerMention }]
      return { ...state, mentionCredits: credits.slice(-MAX_MENTION_CREDITS) }
    }
    case 'unfollow':
      return { lastActivityAt: undefined, repliesUsedInWindow: 0, followState: 'unfollowed', unfollowedAt: at, mentionCredits: [] }
  }
}

function windowOpen (state: FanState, at: number, limits: ReplyLimits): boolean {
  return state.followState !== 'unfollowed' && state.lastActivityAt !== undefined && at - state.lastActivityAt < limits.windowMs
}

function refusal (state: FanState | undefined, fanId: string, at: number, limits: ReplyLimits, count: number): TakeResult {
  const window = formatWindow(limits.windowMs)
  const asked = count === 1 ? '' : ` (${count} replies asked at once)`
  if (state === undefined) return { allowed: false, reason: 'no-window', detail: `fan ${fanId} has never messaged the account${asked}` }
  if (windowOpen(state, at, limits)) {
    const left = Math.max(0, limits.repliesPerWindow - state.repliesUsedInWindow) +
      liveCredits(state.mentionCredits, at, limits).reduce((sum, credit) => sum + credit.remaining, 0)
    const used = left === 0 ? `all ${limits.repliesPerWindow} replies of this ${window} window are used` : `only ${left} of this ${window} window's replies are left`
    return { allowed: false, reason: 'quota-exhausted', detail: `${used}${asked}; the quota renews when the fan writes again` }
  }
  if (state.followState === 'unfollowed') return { allowed: false, reason: 'unfollowed', detail: `fan ${fanId} unfollowed; no reply until they follow or write again` }
  if (liveCredits(state.mentionCredits, at, limits).length > 0) {
    return { allowed: false, reason: 'mention-used', detail: `each mention allows ${limits.repliesPerMention} repl${limits.repliesPerMention === 1 ? 'y' : 'ies'} within ${window}${asked}` }
  }
  if (state.lastActivityAt !== undefined) return { allowed: false, reason: 'window-expired', detail: `fan ${fanId} last wrote more than ${window} ago` }
  return { allowed: false, reason: 'no-window', detail: `fan ${fanId} has never messaged the account${asked}` }
}

/**
 * Takes `count` replies for one fan, all or none (a text split in three parts is not sent in part). Returns the
 * new state and where each reply was taken from (to give them back if sending fails), or why it is refused.
 */
export function takeReplies (previous: FanState | undefined, input: { fanId: string, count: number, at: number, limits: ReplyLimits }): TakeResult {
  const { at, limits, count } = input
  if (previous === undefined) return refusal(previous, input.fanId, at, limits, count)
  const state = copyState(previous)
  state.mentionCredits = liveCredits(state.mentionCredits, at, limits)
  const taken: ReplySource[] = []
  const open = windowOpen(state, at, limits)
  while (taken.length < count) {
    if (open && state.repliesUsedInWindow < limits.repliesPerWindow) {
      state.repliesUsedInWindow++
      taken.push('window')
      continue
    }
    const credit = state.mentionCredits.find((candidate) => candidate.remaining > 0)
    if (credit === undefined) return refusal(previous, input.fanId, at, limits, count)
    credit.remaining--
    taken.push({ mentionAt: credit.at })
  }
  return { allowed: true, state, taken }
}

/**
 * Gives back replies that were taken but not sent. A window reply goes back only while the same window is still
 * open (a newer message already reset the count); a mention credit only while it exists.
 */
export function refundReplies (previous: FanState, taken: readonly ReplySource[], takenAt: number): FanState {
  const state = copyState(previous)
  for (const source of taken) {
    if (source === 'window') {
      const sameWindow = state.lastActivityAt !== undefined && state.lastActivityAt <= takenAt
      if (sameWindow && state.repliesUsedInWindow > 0) state.repliesUsedInWindow--
      continue
    }
    const credit = state.mentionCredits.find((candidate) => candidate.at === source.mentionAt)
    if (credit !== undefined) credit.remaining++
  }
  return state
}

/** When nothing in the state matters any more: the window, the newest mention credit and an unfollow all expired. */
export function stateExpiresAt (state: FanState, limits: ReplyLimits): number {
  const times = [state.lastActivityAt, state.unfollowedAt, ...state.mentionCredits.map((credit) => credit.at)]
    .filter((time): time is number => time !== undefined)
  return times.length === 0 ? 0 : Math.max(...times) + limits.windowMs
}

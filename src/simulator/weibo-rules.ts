/**
 * Weibo's rules for active replies and texts, stated here for the fake Weibo API from the platform's docs, and on
 * purpose not taken from the bot's own `reply-quota/` code: the fake exists to catch the bot getting them wrong.
 * Sources (docs/weibo-protocol, seeds 000 and 002): replies within 48 h of the fan's last message, follow/subscribe,
 * menu click or QR scan; at most 99 replies in such a window; one reply per mention; texts "less than 300 Chinese
 * characters" (小于300个汉字).
 */
export const WEIBO_RULES = Object.freeze({
  replyWindowMs: 48 * 3600_000,
  repliesPerWindow: 99,
  repliesPerMention: 1,
  /** Less than 300: 299 is the longest text accepted. Counted in code points (an emoji is one). */
  maxTextChars: 299,
  /** Message types that open (or renew) the window. */
  openingMessageTypes: Object.freeze(['text', 'position', 'voice', 'image']),
  /** Event subtypes that open (or renew) it: follow/subscribe, menu click, QR scan. Not `view` (a link opened). */
  openingEventSubtypes: Object.freeze(['follow', 'subscribe', 'click', 'scan', 'scan_follow']),
  /** Event subtypes that close it (no reply until the fan follows or writes again). */
  closingEventSubtypes: Object.freeze(['unfollow'])
})

/** What one push means for the fan's reply window, by the table above. */
export type WeiboActivity = 'interaction' | 'mention' | 'unfollow'

export function weiboActivityOf (push: { type: string, data?: unknown }): WeiboActivity | undefined {
  if (push.type === 'mention') return 'mention'
  if (WEIBO_RULES.openingMessageTypes.includes(push.type)) return 'interaction'
  if (push.type !== 'event') return undefined
  const subtype = typeof push.data === 'object' && push.data !== null ? (push.data as { subtype?: unknown }).subtype : undefined
  if (typeof subtype !== 'string') return undefined
  if (WEIBO_RULES.closingEventSubtypes.includes(subtype)) return 'unfollow'
  return WEIBO_RULES.openingEventSubtypes.includes(subtype) ? 'interaction' : undefined
}

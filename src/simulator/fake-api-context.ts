import type { Conversation } from './conversation.ts'
import type { ReplyRules } from './reply-rules.ts'

/** One account the fake plays: its token, its uid, and what Weibo knows of its fans (per account, as on Weibo). */
export interface FakeAccount {
  uid: string
  accessToken: string
  rules: ReplyRules
}

/** What every route of the fake API shares. */
export interface FakeApiContext {
  /** The first is the default account (the push factory's); `checkToken` says which one a call is for. */
  accounts: readonly FakeAccount[]
  now: () => number
  conversation: Conversation
  /** A fresh message id, as a digit string. */
  nextMessageId: () => string
}

/**
 * Message ids that look like Weibo's (16 digits) and count up from one start, so a test can predict them. They stay
 * below 2^53: written as JSON numbers (as Weibo does) they survive `JSON.parse` digit for digit.
 */
export function createMessageIds (start = 4_000_000_000_000_001): () => string {
  let next = start
  return () => String(next++)
}

/** A uid as Weibo writes it in JSON: a number, unless it is too large to survive as one. */
export function jsonId (id: string): number | string {
  const number = Number(id)
  return Number.isSafeInteger(number) ? number : id
}

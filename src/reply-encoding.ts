import type { ValidReply } from './reply.ts'

/** The JSON object Weibo expects in a reply's `data` field, before any encoding. */
export function replyPayload (reply: ValidReply): Record<string, unknown> {
  switch (reply.type) {
    case 'text': return { text: reply.text }
    case 'articles': return { articles: reply.articles }
    case 'position': return { longitude: reply.longitude, latitude: reply.latitude }
  }
}

export interface PassiveReplyInput {
  reply: ValidReply
  /** Our account: the push's `receiver_id`. */
  accountId: string
  /** The fan: the push's `sender_id`. */
  fanId: string
}

/**
 * The body of a passive reply: the push's ids swapped, and `data` the URL-encoded JSON payload. Ids are written as
 * strings (as in Weibo's encoded example) so 64-bit ids survive digit for digit.
 */
export function passiveReplyBody (input: PassiveReplyInput): string {
  return JSON.stringify({
    result: true,
    sender_id: input.accountId,
    receiver_id: input.fanId,
    type: input.reply.type,
    data: encodeURIComponent(JSON.stringify(replyPayload(input.reply)))
  })
}

export interface DecodedPassiveReply {
  senderId: string
  receiverId: string
  type: string
  /** The payload, URL-decoded and parsed: `{ text }`, `{ articles }` or `{ longitude, latitude }`. */
  data: unknown
}

/**
 * The inverse of `passiveReplyBody`, as Weibo reads a callback's answer. Throws a plain Error saying what is wrong
 * when the body is not a passive reply Weibo could use.
 */
export function decodePassiveReplyBody (body: string): DecodedPassiveReply {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new Error('the answer is not JSON')
  }
  const reply = parsed as { sender_id?: unknown, receiver_id?: unknown, type?: unknown, data?: unknown }
  if (typeof reply !== 'object' || reply === null) throw new Error('the answer is not a JSON object')
  if (typeof reply.type !== 'string') throw new Error('the answer has no "type"')
  if (typeof reply.data !== 'string') throw new Error('the answer\'s "data" is not a URL-encoded string')
  let data: unknown
  try {
    data = JSON.parse(decodeURIComponent(reply.data))
  } catch {
    throw new Error('the answer\'s "data" does not URL-decode to JSON')
  }
  return { senderId: String(reply.sender_id), receiverId: String(reply.receiver_id), type: reply.type, data }
}

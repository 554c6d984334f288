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

import type { StreamRecord } from './stream-record.ts'

export const STREAM_TYPES = ['status', 'comment'] as const
export type StreamType = typeof STREAM_TYPES[number]

type WeiboObject = NonNullable<StreamRecord['text']['status']>
type CommentObject = NonNullable<StreamRecord['text']['comment']>

interface StreamMessageBase<T extends StreamType> {
  type: T
  /** The record's data id (what since_id takes): unique per record, and the key dedup uses. */
  id: string
  /** Weibo's `text.event`; only `add` reaches handlers. */
  event: string
  /** The weibo's or the comment's text: what a handler's `match` string or RegExp is tested on. */
  text: string
  /** Its author (uid as a decimal string): who a direct message about it goes to. */
  user: { id: string | undefined, screen_name: string | undefined }
  /** What the subscription matched: the keyword, or the uid (0 for a keyword match). */
  match_info: StreamRecord['match_info']
  /** The record as Weibo sent it (ids as decimal strings). */
  record: StreamRecord
}

/** A weibo from the commercial push stream, for handlers on `'status'`. */
export interface StatusStreamMessage extends StreamMessageBase<'status'> {
  status: WeiboObject
}

/** A comment from the commercial push stream, for handlers on `'comment'`. */
export interface CommentStreamMessage extends StreamMessageBase<'comment'> {
  comment: CommentObject
}

export type StreamMessage = StatusStreamMessage | CommentStreamMessage

function authorOf (object: { user?: { id?: string | undefined, screen_name?: unknown } | undefined }): StreamMessageBase<StreamType>['user'] {
  const screenName = object.user?.screen_name
  return { id: object.user?.id, screen_name: typeof screenName === 'string' ? screenName : undefined }
}

/**
 * The handler's view of a stream record: the weibo or comment lifted to the top, with its text and author, beside
 * the record itself. Undefined for a type handlers cannot listen to (neither status nor comment) or a record
 * missing its object.
 */
export function toStreamMessage (record: StreamRecord): StreamMessage | undefined {
  const base = { id: record.id, event: record.text.event, match_info: record.match_info, record }
  const { status, comment } = record.text
  if (record.text.type === 'status' && status !== undefined) {
    return { ...base, type: 'status', text: status.text, user: authorOf(status), status }
  }
  if (record.text.type === 'comment' && comment !== undefined) {
    return { ...base, type: 'comment', text: comment.text, user: authorOf(comment), comment }
  }
  return undefined
}

/** A stream record rather than a fan's push (stream messages carry no sender_id). */
export function isStreamMessage (message: { type: string }): message is StreamMessage {
  return (STREAM_TYPES as readonly string[]).includes(message.type) && 'record' in message
}

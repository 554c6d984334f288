import { z } from 'zod'
import { FanbotError } from '../errors.ts'
import { WeiboIdSchema } from '../message-schema.ts'
import { parseLosslessJson } from '../push-body.ts'
import { describeZodError } from '../describe-zod-error.ts'

// Every object is loose: Weibo adds fields over time, and a consumer may want them. Only the fields below are
// checked; their ids become decimal strings. Other numbers are kept as parsed (64-bit ones as digit strings).

const UserSchema = z.looseObject({ id: WeiboIdSchema.optional() })

/** A weibo (`text.status`): the documented sample carries `id`, `mid`, `text`, `user`, `mentions`, `source_id`. */
const StatusSchema = z.looseObject({
  id: WeiboIdSchema,
  text: z.string(),
  user: UserSchema.optional(),
  /** uids @-ed in the weibo; Weibo may omit it (anti-spam/privacy). */
  mentions: z.array(WeiboIdSchema).optional()
})

/** A comment (`text.comment`), like a comment of the REST API: the weibo it is on may come as `status`. */
const CommentSchema = z.looseObject({
  id: WeiboIdSchema,
  text: z.string(),
  user: UserSchema.optional(),
  status: z.looseObject({ id: WeiboIdSchema.optional(), user: UserSchema.optional() }).optional()
})

/** Types whose object (`text[type]`) we know and require on an `add`. */
const KNOWN_TYPES = new Set(['status', 'comment'])

const RecordTextSchema = z.looseObject({
  // Documented: status or comment (one per subscription). Another type is kept for the consumer to decide.
  type: z.string().min(1),
  // Only `add` is documented and every sample carries it; a record without `event` is read as an add (tolerant).
  event: z.string().default('add'),
  status: StatusSchema.optional(),
  comment: CommentSchema.optional()
}).superRefine((text, context) => {
  // Only an add must carry its object: what other events (a delete?) carry is undocumented.
  if (text.event === 'add' && KNOWN_TYPES.has(text.type) && text[text.type] === undefined) {
    context.addIssue({ code: 'custom', path: [text.type], message: `an add of type "${text.type}" must carry text.${text.type}` })
  }
})

export const StreamRecordSchema = z.looseObject({
  /** The data id: what `since_id` takes (not the weibo's id). */
  id: WeiboIdSchema,
  text: RecordTextSchema,
  /** What the subscription matched (added Nov 2013); sibling of `text`. `uid` is 0 for a keyword match. */
  match_info: z.looseObject({ keyword: z.string().optional(), uid: WeiboIdSchema.optional() }).optional()
})

/** One record of the commercial push stream, with Weibo's field names and its ids as decimal strings. */
export type StreamRecord = z.output<typeof StreamRecordSchema>

/** Turns one line of the stream into a record; throws `WEIBO_ERR_STREAM_RECORD_INVALID` saying what is wrong. */
export function parseStreamRecord (line: string): StreamRecord {
  let body: unknown
  try {
    // Lossless for ids past 2^53, like pushes.
    body = parseLosslessJson(line)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new FanbotError('WEIBO_ERR_STREAM_RECORD_INVALID', { detail: `not JSON (${reason})`, cause: error })
  }
  const result = StreamRecordSchema.safeParse(body)
  if (!result.success) {
    throw new FanbotError('WEIBO_ERR_STREAM_RECORD_INVALID', {
      detail: describeZodError(result.error),
      cause: result.error
    })
  }
  return result.data
}

// A complete number (followed by `,` or `}`) or a quoted one, right after the opening brace: a line cut inside the
// id does not yield a shorter, wrong id.
const LEADING_ID = /^\s*\{\s*"id"\s*:\s*(?:(\d{1,20})(?=\s*[,}])|"(\d{1,20})")/

/**
 * The record's data id, even from a line that is not a valid record: Weibo asks that `since_id` still move past a
 * record that fails to parse. Read from a leading `{"id":…` first (works on broken JSON and on the first bytes of
 * a dropped line), else from the parsed object. `undefined` when no id can be read.
 */
export function recordIdOf (line: string): string | undefined {
  const match = LEADING_ID.exec(line)
  if (match !== null) return match[1] ?? match[2]
  let body: unknown
  try {
    body = parseLosslessJson(line)
  } catch {
    return undefined
  }
  if (typeof body !== 'object' || body === null) return undefined
  const id = WeiboIdSchema.safeParse((body as { id?: unknown }).id)
  return id.success ? id.data : undefined
}

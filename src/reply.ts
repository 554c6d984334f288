import { z } from 'zod'
import { decimalString } from './decimal-string.ts'
import { FanbotError } from './errors.ts'
import { codePointLength, splitText } from './text-split.ts'
import { describeZodError } from './describe-zod-error.ts'

/**
 * Weibo documents texts "less than 300 Chinese characters" (小于300个汉字, seeds 000 and 002; error 20013 beyond):
 * 299 code points at most (an emoji counts as one, as for Weibo's clients).
 */
export const MAX_TEXT_LENGTH = 299
export const MAX_ARTICLES = 8

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })

/** A long text with `split: true` goes out as at most this many messages (each counts against the fan's quota). */
export const MAX_SPLIT_PARTS = 10

export const TextReplySchema = z.object({
  type: z.literal('text'),
  text: z.string().refine((text) => text.trim().length > 0, 'must not be empty'),
  // Over MAX_TEXT_LENGTH, send the text as several messages (active replies, in order) instead of refusing it.
  split: z.boolean().optional()
}).strict().superRefine((reply, context) => {
  const length = codePointLength(reply.text)
  if (reply.split !== true && length > MAX_TEXT_LENGTH) {
    context.addIssue({ code: 'custom', path: ['text'], message: `must be at most ${MAX_TEXT_LENGTH} characters (it has ${length}); return text(content, { split: true }) to send it as several messages` })
  } else if (reply.split === true && splitText(reply.text, MAX_TEXT_LENGTH).length > MAX_SPLIT_PARTS) {
    context.addIssue({ code: 'custom', path: ['text'], message: `would need more than ${MAX_SPLIT_PARTS} messages of ${MAX_TEXT_LENGTH} characters (it has ${length})` })
  }
})

export const ArticleSchema = z.object({
  display_name: z.string().min(1, 'must not be empty'),
  summary: z.string(),
  image: httpUrl,
  url: httpUrl
}).strict()

export const ArticlesReplySchema = z.object({
  type: z.literal('articles'),
  articles: z.array(ArticleSchema).min(1, 'must hold at least 1 article').max(MAX_ARTICLES, `must hold at most ${MAX_ARTICLES} articles`)
}).strict()

function isCoordinate (value: number | string, limit: number): boolean {
  const number = typeof value === 'number' ? value : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN
  return Number.isFinite(number) && Math.abs(number) <= limit
}

/** Weibo wants coordinates as strings ("116.308586"); handlers may give numbers. */
const coordinate = (limit: number) => z.union([z.number(), z.string()])
  .refine((value) => isCoordinate(value, limit), `must be a number from -${limit} to ${limit}`)
  .transform(decimalString)

export const PositionReplySchema = z.object({
  type: z.literal('position'),
  longitude: coordinate(180),
  latitude: coordinate(90)
}).strict()

export const ReplySchema = z.discriminatedUnion('type', [TextReplySchema, ArticlesReplySchema, PositionReplySchema])

/** What a handler may return: plain data, so it can be cached, queued and sent later. */
export type Reply = z.input<typeof ReplySchema>
export type ValidReply = z.output<typeof ReplySchema>
export type Article = z.input<typeof ArticleSchema>

/** A text reply; `{ split: true }` lets one over 300 characters go out as several messages instead of failing. */
export function text (content: string, options: { split?: boolean } = {}): Reply {
  return options.split === true ? { type: 'text', text: content, split: true } : { type: 'text', text: content }
}

/**
 * The messages a valid reply goes out as: itself, or a split text's parts (each a plain text reply). More than
 * one means it cannot be a passive reply (the response body holds one message).
 */
export function replyParts (reply: ValidReply): ValidReply[] {
  if (reply.type !== 'text' || reply.split !== true) return [reply]
  return splitText(reply.text, MAX_TEXT_LENGTH).map((part) => ({ type: 'text', text: part }))
}

export function articles (...items: Article[] | [Article[]]): Reply {
  const list = Array.isArray(items[0]) ? items[0] : items as Article[]
  return { type: 'articles', articles: list }
}

export function position (longitude: number | string, latitude: number | string): Reply {
  return { type: 'position', longitude, latitude }
}

/**
 * The usual reply, a short text as a plain `{ type: 'text', text }` object, checked without zod and built as zod
 * would build it: zod's parse of it was ~1 % of the server's busy time per push (bench/README.md, thirteenth
 * session). Anything else, or anything this is not sure of, is left to the schema (`undefined`), which also words
 * the problems. Not longer than MAX_TEXT_LENGTH UTF-16 units: then never more code points either.
 */
function plainTextReply (value: object): ValidReply | undefined {
  // Zod refuses an array, and reads `split` wherever it is (inherited, hidden): both are left to it.
  if (Array.isArray(value) || 'split' in value) return undefined
  const { type, text } = value as { type?: unknown, text?: unknown }
  if (type !== 'text' || typeof text !== 'string' || text.length > MAX_TEXT_LENGTH || text.trim().length === 0) return undefined
  // No other key, inherited ones included (zod refuses an unknown key).
  for (const key in value) if (key !== 'type' && key !== 'text') return undefined
  return { type: 'text', text }
}

/** Checks a handler's return value; `undefined` means "no reply". Throws `WEIBO_ERR_REPLY_INVALID` with every problem. */
export function validateReply (value: unknown): ValidReply | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') {
    throw new FanbotError('WEIBO_ERR_REPLY_INVALID', { detail: `got a bare string; return text(${JSON.stringify(value.slice(0, 40))}) or { type: 'text', text: … }` })
  }
  if (typeof value === 'object') {
    const usual = plainTextReply(value)
    if (usual !== undefined) return usual
  }
  const result = ReplySchema.safeParse(value)
  if (!result.success) {
    throw new FanbotError('WEIBO_ERR_REPLY_INVALID', {
      // No cause: the ZodError's message is the same problems again as raw JSON, and a log would print both.
      detail: describeZodError(result.error)
    })
  }
  return result.data
}

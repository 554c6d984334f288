import { z } from 'zod'
import { ArticleSchema, MAX_ARTICLES } from '../reply.ts'
import { WEIBO_RULES } from './weibo-rules.ts'
import { WeiboRefusal } from './fake-api-errors.ts'
import { describeZodError } from '../describe-zod-error.ts'

export const REPLY_TYPES = ['text', 'articles', 'position'] as const
export type ReplyType = typeof REPLY_TYPES[number]

const coordinate = (limit: number) => z.string({ error: 'must be a string such as "116.308586"' })
  .regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number written as a string')
  .refine((value) => Math.abs(Number(value)) <= limit, `must be from -${limit} to ${limit}`)

/*
 * The payload of each type, as Weibo documents it (protocol §3). Strict on purpose: an extra key (a `type` left in
 * the payload, say) is a bug in the bot that the real API might ignore or refuse, and the fake should show it.
 */
const PAYLOAD_SCHEMAS = {
  text: z.object({ text: z.string({ error: 'text must be a string' }) }).strict(),
  articles: z.object({
    articles: z.array(ArticleSchema, { error: 'articles must be an array' })
      .min(1, 'must hold at least 1 article')
      .max(MAX_ARTICLES, `must hold at most ${MAX_ARTICLES} articles`)
  }).strict(),
  position: z.object({ longitude: coordinate(180), latitude: coordinate(90) }).strict()
} as const

/** Weibo's text limit, from the simulator's own table: less than 300 characters (code points). */
export function checkTextLength (text: string): void {
  if (text.trim() === '') throw new WeiboRefusal('TEXT_EMPTY')
  const length = [...text].length
  if (length > WEIBO_RULES.maxTextChars) throw new WeiboRefusal('TEXT_TOO_LONG', `got ${length} characters, less than 300 allowed`)
}

function parseJson (data: string): unknown {
  try {
    return JSON.parse(data)
  } catch (error) {
    // The commonest bug: `encodeURIComponent(JSON)` put in a form field, so the JSON arrives encoded twice.
    const hint = /^\s*%7B/i.test(data) || data.includes('%22')
      ? 'it looks URL-encoded twice; put the JSON itself in the form field and let the form encoding encode it once'
      : (error as Error).message
    throw new WeiboRefusal('DATA_INVALID', `data is not JSON after one form decoding: ${hint}`)
  }
}

/**
 * Parses a reply's `data` field (already form-decoded once) into the payload of its `type`, refusing with Weibo's
 * codes: 10008 for anything malformed, 20008 for empty text, 20013 for text over the limit.
 */
export function parseReplyData (type: ReplyType, data: string): Record<string, unknown> {
  const value = parseJson(data)
  if (typeof value === 'string') throw new WeiboRefusal('DATA_INVALID', 'data is a JSON string, not an object: it was JSON-encoded twice')
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WeiboRefusal('DATA_INVALID', `data must be a JSON object for type ${type}`)
  }
  const result = PAYLOAD_SCHEMAS[type].safeParse(value)
  if (!result.success) {
    throw new WeiboRefusal('DATA_INVALID', `data for type ${type}: ${describeZodError(result.error)}`)
  }
  if (type === 'text') checkTextLength((result.data as { text: string }).text)
  return result.data
}

import { z } from 'zod'
import { FanbotError } from '../errors.ts'
import { WeiboApiError } from './api-error.ts'
import { describeZodError } from '../describe-zod-error.ts'

/** Checks Weibo's answer against the method's schema: an answer of another shape is WEIBO_ERR_API_BAD_RESPONSE. */
export function parseResponse<T> (schema: z.ZodType<T>, body: unknown, request: string): T {
  const result = schema.safeParse(body)
  if (result.success) return result.data
  throw new WeiboApiError('WEIBO_ERR_API_BAD_RESPONSE', {
    request,
    weiboMessage: describeZodError(result.error),
    retryable: false,
    cause: result.error
  })
}

/** An argument that breaks a documented Weibo rule: refused before any call. */
export function invalidRequest (detail: string): FanbotError {
  return new FanbotError('WEIBO_ERR_API_INVALID_REQUEST', { detail })
}

/** A Weibo id as JSON carries it: a number or a digit string. */
export const IdSchema = z.union([z.number(), z.string()])

/** Weibo's counting of "characters": code points, so an emoji is one. */
export { codePointLength as codePoints } from '../text-split.ts'

import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { WeiboRefusal } from './fake-api-errors.ts'

/** Request parameters as Weibo reads them: query and form fields, decoded once, one value per name. */
export type Params = Record<string, string>

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded'
export const REDACTED = '[Redacted]'

/** The media type of a Content-Type header, without parameters such as `charset`. */
export function mediaType (header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/** Decodes a form body exactly once (`+` is a space), keeping the first value of a repeated name. */
export function parseForm (body: string): Params {
  const params: Params = {}
  for (const [name, value] of new URLSearchParams(body)) params[name] ??= value
  return params
}

function firstValues (query: unknown): Params {
  const params: Params = {}
  if (typeof query !== 'object' || query === null) return params
  for (const [name, value] of Object.entries(query)) {
    const first: unknown = Array.isArray(value) ? value[0] : value
    if (typeof first === 'string') params[name] = first
  }
  return params
}

/** Query and form fields together; a form field wins over a query parameter of the same name. */
export function readParams (request: FastifyRequest): Params {
  const form = isForm(request) && typeof request.body === 'object' && request.body !== null ? request.body as Params : {}
  return { ...firstValues(request.query), ...form }
}

export function isForm (request: FastifyRequest): boolean {
  return mediaType(request.headers['content-type']) === FORM_CONTENT_TYPE
}

/** Weibo's write APIs take form fields only; a JSON or multipart body is refused, not guessed at. */
export function requireForm (request: FastifyRequest): void {
  if (!isForm(request)) {
    const given = request.headers['content-type']
    throw new WeiboRefusal('UNSUPPORTED_MEDIA_TYPE', given === undefined ? 'no Content-Type header' : `got ${mediaType(given)}`)
  }
}

/** Whether two tokens are equal, in constant time (house rule: never compare secrets with ===). */
export function sameToken (given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8')
  const b = Buffer.from(expected, 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The access token check: which of the accounts the token belongs to (the fake can play several), or Weibo's
 * refusal. Every token is compared, in constant time.
 */
export function checkToken<A extends { accessToken: string }> (params: Params, accounts: readonly A[]): A {
  const given = params.access_token
  if (given === undefined || given === '') throw new WeiboRefusal('TOKEN_MISSING')
  const matched = accounts.filter((account) => sameToken(given, account.accessToken))
  if (matched[0] === undefined) throw new WeiboRefusal('TOKEN_INVALID')
  return matched[0]
}

/** The parameters with the token's value replaced, for the call log and log lines. */
export function redactParams (params: Params): Params {
  return 'access_token' in params ? { ...params, access_token: REDACTED } : { ...params }
}

/**
 * Checks parameters against a zod schema and answers as Weibo does: a parameter that is absent is 10016 (missing),
 * one that is present but wrong is 10017 (invalid value). The first problem is reported, as Weibo does.
 */
export function parseParams<T> (schema: z.ZodType<T>, params: Params): T {
  const result = schema.safeParse(params)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const name = issue?.path.length === 0 ? 'parameters' : String(issue?.path[0] ?? 'parameters')
  if (params[name] === undefined) throw new WeiboRefusal('PARAM_MISSING', name)
  throw new WeiboRefusal('PARAM_INVALID', `${name} ${issue?.message ?? 'is invalid'}`)
}

/** A decimal uid or file id, as Weibo writes them. */
export const DIGITS = /^\d{1,20}$/

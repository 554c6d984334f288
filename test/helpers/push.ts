import { readFileSync } from 'node:fs'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { computeSignature } from '../../src/signature.ts'
import { TEST_SECRET } from './config.ts'

const FIXTURES = new URL('../fixtures/', import.meta.url)

/** The raw JSON of `test/fixtures/<name>.json` (one per message type). */
export function fixture (name: string): string {
  return readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8').trim()
}

/** A fixture as an object, with fields replaced (e.g. a different `text` or `created_at`). */
export function fixtureWith (name: string, changes: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(fixture(name)) as Record<string, unknown>, ...changes })
}

let nonceCounter = 0

/** Query string Weibo would add: fresh timestamp (ms) and nonce, signed with `secret`. */
export function signedQuery (options: { secret?: string | undefined, echostr?: string, timestamp?: string } = {}): string {
  const timestamp = options.timestamp ?? String(Date.now())
  const nonce = String(57155157 + nonceCounter++)
  const signature = computeSignature({ secret: options.secret ?? TEST_SECRET, timestamp, nonce })
  const query = new URLSearchParams({ signature, timestamp, nonce })
  if (options.echostr !== undefined) query.set('echostr', options.echostr)
  return query.toString()
}

/** POSTs a signed push through `app.inject`, as Weibo would. */
export async function sendPush (app: FastifyInstance, body: string, options: { path?: string, secret?: string, contentType?: string } = {}): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST',
    url: `${options.path ?? '/weibo'}?${signedQuery({ secret: options.secret })}`,
    headers: { 'content-type': options.contentType ?? 'application/json' },
    payload: body
  })
}

/** Decodes a passive reply body into its parts, with `data` URL-decoded and parsed. */
export function decodePassive (body: string): { result: unknown, sender_id: unknown, receiver_id: unknown, type: unknown, data: unknown } {
  const reply = JSON.parse(body) as { result: unknown, sender_id: unknown, receiver_id: unknown, type: unknown, data: string }
  return { ...reply, data: JSON.parse(decodeURIComponent(reply.data)) }
}

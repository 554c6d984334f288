import { timingSafeEqual } from 'node:crypto'
import { sha1 } from './hash.ts'

export interface SignatureInput {
  secret: string
  timestamp: string
  nonce: string
}

/**
 * Weibo's request signature: hex SHA-1 of the app secret, timestamp and nonce sorted as strings and joined.
 * The default sort (UTF-16 code units) matches PHP's SORT_STRING, which Weibo's reference SDK uses.
 */
export function computeSignature (input: SignatureInput): string {
  return sha1(sortedJoin(input.secret, input.timestamp, input.nonce), 'hex')
}

/**
 * The three strings in ascending order, joined: what `[a, b, c].sort().join('')` gives (`<` compares strings by
 * UTF-16 code units, as the default sort does), without the array and the sort's work copy (~0.9 KB per push).
 */
function sortedJoin (a: string, b: string, c: string): string {
  let first = a
  let second = b
  let third = c
  let swap: string
  if (second < first) { swap = first; first = second; second = swap }
  if (third < second) { swap = second; second = third; third = swap }
  if (second < first) { swap = first; first = second; second = swap }
  return first + second + third
}

/**
 * How far a signed `timestamp` is from `nowMs`. Weibo's is documented in milliseconds (13 digits); 10 digits are
 * read as seconds. Anything else is undefined: not a timestamp we can judge.
 */
export function timestampAgeMs (timestamp: string, nowMs: number): number | undefined {
  if (!/^\d{10}(\d{3})?$/.test(timestamp)) return undefined
  const ms = timestamp.length === 10 ? Number(timestamp) * 1000 : Number(timestamp)
  return Math.abs(nowMs - ms)
}

/** 40 hex digits in lower case: a signature as `verifySignature` compares it. */
const SIGNATURE_SHAPE = /^[0-9a-f]{40}$/
// timingSafeEqual compares bytes: the two hex texts are written into these (one synchronous call at a time) rather
// than made into new Buffers, or taken as digest bytes (a new ArrayBuffer per digest, src/hash.ts).
const expectedText = Buffer.alloc(40)
const givenText = Buffer.alloc(40)

/**
 * Checks a request's `signature` (40 hex digits, either case) in constant time; a missing or malformed value is
 * simply not valid. Compared as hex text: the digest's 40 characters against the signature's, lower-cased.
 */
export function verifySignature (input: SignatureInput & { signature: string }): boolean {
  const given = input.signature.toLowerCase()
  if (!SIGNATURE_SHAPE.test(given)) return false
  expectedText.write(computeSignature(input), 0, 'latin1')
  givenText.write(given, 0, 'latin1')
  return timingSafeEqual(givenText, expectedText)
}

import { isInteger, isSafeNumber, parse as parseLossless } from 'lossless-json'
import { FanbotError } from './errors.ts'

/** No Weibo push nests deeper than a few levels; a bound keeps a hostile body from exhausting the stack later. */
export const MAX_PUSH_DEPTH = 32

// The slow path is taken when a number might not survive JSON.parse as written: a run of 16+ digits (a 64-bit id
// a double would round), or a fraction or exponent (`1e3`, `0.0`: not how an id is written). A false alarm
// (such digits inside a string) costs speed, never correctness.
const NEEDS_NUMBER_TOKENS = /[:[,]\s*-?(?:\d{16,}|\d+[.eE])/

/** Keys whose numbers are ids: kept as their exact text, validated as digits by the message schemas. */
const ID_KEY = /^(?:id|vfid|tovfid|key|\w+_id)$/

/** A number token as written, until the reviver knows which key it belongs to. */
class NumberToken {
  readonly text: string
  constructor (text: string) { this.text = text }
}

function reviveNumber (key: string, value: unknown): unknown {
  if (!(value instanceof NumberToken)) return value
  // Ids keep their text ("1e3" or "-0" then fail the id rule); anything else is the number it says, as JSON.parse
  // would give it, and is validated as its own type (a 20-digit `text` is not a string).
  if (ID_KEY.test(key)) return value.text
  return Number(value.text)
}

/**
 * Whether `raw` holds more than `limit` opening brackets at all (inside strings or not). Nesting deeper than
 * `limit` needs that many, and a push has a handful: counted with the native `indexOf` (~0.06 µs for a text push
 * against ~0.45 µs for the character walk below, bench/README.md), so only a body that could nest too deep is walked.
 */
function opensMoreThan (raw: string, limit: number): boolean {
  let count = 0
  for (let at = raw.indexOf('{'); at !== -1; at = raw.indexOf('{', at + 1)) if (++count > limit) return true
  for (let at = raw.indexOf('['); at !== -1; at = raw.indexOf('[', at + 1)) if (++count > limit) return true
  return false
}

/** True when arrays/objects nest deeper than `limit` (brackets inside strings do not count). No allocation. */
export function nestsDeeperThan (raw: string, limit: number): boolean {
  if (!opensMoreThan(raw, limit)) return false
  let depth = 0
  let inString = false
  for (let index = 0; index < raw.length; index++) {
    const char = raw.charCodeAt(index)
    if (inString) {
      if (char === 92) index++ // backslash: skip the escaped character
      else if (char === 34) inString = false
    } else if (char === 34) {
      inString = true
    } else if (char === 91 || char === 123) {
      if (++depth > limit) return true
    } else if (char === 93 || char === 125) {
      depth--
    }
  }
  return false
}

/**
 * Parses the raw body of a push. Weibo's 64-bit ids (`sender_id`, `receiver_id`, `id`, `vfid`…) come as JSON
 * numbers; at id keys the number's exact text is kept (digit for digit), everywhere else a number is a number.
 */
export function parsePushBody (raw: string): unknown {
  if (nestsDeeperThan(raw, MAX_PUSH_DEPTH)) throw new FanbotError('WEIBO_ERR_PUSH_TOO_DEEP', { detail: `limit ${MAX_PUSH_DEPTH}` })
  try {
    return NEEDS_NUMBER_TOKENS.test(raw)
      ? parseLossless(raw, reviveNumber, (token) => new NumberToken(token))
      : JSON.parse(raw)
  } catch (error) {
    throw new FanbotError('WEIBO_ERR_PUSH_MALFORMED_JSON', {
      detail: error instanceof Error ? error.message : String(error),
      cause: error
    })
  }
}

// A run of 16+ digits outside a string may be a 64-bit id that JSON.parse would round.
const MAYBE_UNSAFE_INTEGER = /[:[,]\s*-?\d{16,}/

/**
 * JSON with every integer beyond 2^53 kept as its exact digit string, wherever it is: for the commercial push
 * stream's records, whose loose objects carry ids under many names (`mid`, `uid`, arrays of uids…).
 */
export function parseLosslessJson (raw: string): unknown {
  return MAYBE_UNSAFE_INTEGER.test(raw)
    ? parseLossless(raw, null, (token) => isInteger(token) && !isSafeNumber(token) ? token : Number(token))
    : JSON.parse(raw)
}

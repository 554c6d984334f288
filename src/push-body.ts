import { isInteger, isSafeNumber, parse as parseLossless } from 'lossless-json'
import { FanbotError } from './errors.ts'

// A run of 16+ digits outside a string may be a 64-bit id that JSON.parse would round; only then do we pay for
// the slower lossless parser. A false alarm (digits inside a string) costs speed, never correctness.
const MAYBE_UNSAFE_INTEGER = /[:[,]\s*-?\d{16,}/

/** Keeps integers beyond 2^53 as their exact digit strings; every other number is a plain `number`. */
function parseNumberToken (token: string): number | string {
  return isInteger(token) && !isSafeNumber(token) ? token : Number(token)
}

/**
 * Parses the raw body of a push. Weibo's 64-bit ids (`sender_id`, `receiver_id`, `id`, `vfid`…) come as JSON
 * numbers; those too large for a double are kept as strings so they go back to Weibo digit for digit.
 */
export function parsePushBody (raw: string): unknown {
  try {
    return MAYBE_UNSAFE_INTEGER.test(raw) ? parseLossless(raw, null, parseNumberToken) : JSON.parse(raw)
  } catch (error) {
    throw new FanbotError('WEIBO_ERR_PUSH_MALFORMED_JSON', {
      detail: error instanceof Error ? error.message : String(error),
      cause: error
    })
  }
}

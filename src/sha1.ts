import * as crypto from 'node:crypto'

type Encoding = 'hex' | 'base64url'

/**
 * SHA-1 of a string in one call. Node 20.12+ has the one-shot `crypto.hash`, which makes no Hash object: about
 * 0.5 µs less per call, and the signature check and the dedup key each make one per push. Older Node 20 (the
 * engines field allows it) falls back to createHash.
 */
export const sha1: (data: string, encoding: Encoding) => string = typeof crypto.hash === 'function'
  ? (data, encoding) => crypto.hash('sha1', data, encoding)
  : (data, encoding) => crypto.createHash('sha1').update(data, 'utf8').digest(encoding)

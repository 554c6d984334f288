import * as crypto from 'node:crypto'

type Encoding = 'hex' | 'base64url'
type Algorithm = 'sha1' | 'sha256'

/**
 * A digest of a string in one call. Node 20.12+ has the one-shot `crypto.hash`, which makes no Hash object: about
 * 0.5 µs less per call, and every push makes three (the signature check and the dedup key with SHA-1, the replay
 * guard's body digest with SHA-256; bench/README.md). Older Node 20 (the engines field allows it) falls back to
 * createHash.
 */
const oneShot: (algorithm: Algorithm, data: string, encoding: Encoding) => string = typeof crypto.hash === 'function'
  ? (algorithm, data, encoding) => crypto.hash(algorithm, data, encoding)
  : (algorithm, data, encoding) => crypto.createHash(algorithm).update(data, 'utf8').digest(encoding)

export const sha1 = (data: string, encoding: Encoding): string => oneShot('sha1', data, encoding)
export const sha256 = (data: string, encoding: Encoding): string => oneShot('sha256', data, encoding)

import * as crypto from 'node:crypto'

type Encoding = 'hex' | 'base64url'
type Algorithm = 'sha1' | 'sha256'

/**
 * A digest in one call. Node 20.12+ has the one-shot `crypto.hash`, which makes no Hash object: about 0.5 µs less
 * per call, and every push makes three (the signature check as bytes and the dedup key as text with SHA-1, the
 * replay guard's body digest as bytes with SHA-256; bench/README.md). Older Node 20 (the engines field allows it)
 * falls back to createHash.
 */
const oneShot: (algorithm: Algorithm, data: string, encoding: Encoding) => string = typeof crypto.hash === 'function'
  ? (algorithm, data, encoding) => crypto.hash(algorithm, data, encoding)
  : (algorithm, data, encoding) => crypto.createHash(algorithm).update(data, 'utf8').digest(encoding)

const oneShotBytes: (algorithm: Algorithm, data: string | Buffer) => Buffer = typeof crypto.hash === 'function'
  ? (algorithm, data) => crypto.hash(algorithm, data, 'buffer')
  : (algorithm, data) => crypto.createHash(algorithm).update(data).digest()

export const sha1 = (data: string, encoding: Encoding): string => oneShot('sha1', data, encoding)
/** The digest as bytes, of text (as UTF-8) or of bytes: for comparing or reading words from it without encoding it. */
export const sha1Bytes = (data: string | Buffer): Buffer => oneShotBytes('sha1', data)
export const sha256Bytes = (data: string | Buffer): Buffer => oneShotBytes('sha256', data)

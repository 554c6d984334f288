import * as crypto from 'node:crypto'

type Encoding = 'hex' | 'base64url'
type Algorithm = 'sha1' | 'sha256'

/**
 * A digest in one call, as text. Node 20.12+ has the one-shot `crypto.hash`, which makes no Hash object: about 0.5 µs
 * less per call; older Node 20 (the engines field allows it) falls back to createHash. Every push makes three (the
 * signature check and the dedup key with SHA-1, the replay guard's body digest with SHA-256).
 *
 * As text, not bytes: `crypto.hash(..., 'buffer')` gives each digest an ArrayBuffer of its own, which cost ~0.7 µs
 * more per call than hex on Node 24 and one more object per digest for the GC to sweep (bench/README.md), where the
 * text is a short string in the young generation.
 */
const oneShot: (algorithm: Algorithm, data: string | Buffer, encoding: Encoding) => string = typeof crypto.hash === 'function'
  ? (algorithm, data, encoding) => crypto.hash(algorithm, data, encoding)
  : (algorithm, data, encoding) => crypto.createHash(algorithm).update(data).digest(encoding) // text is read as UTF-8

/** SHA-1 of text (as UTF-8). */
export const sha1 = (data: string, encoding: Encoding): string => oneShot('sha1', data, encoding)
/** SHA-256 of text (as UTF-8) or of bytes. */
export const sha256 = (data: string | Buffer, encoding: Encoding): string => oneShot('sha256', data, encoding)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { sha1, sha256 } from '../src/hash.ts'

test('sha1 gives the digest createHash gives, in hex and base64url, for ASCII and Chinese text', () => {
  for (const data of ['', 'abc', 'bench-app-secret17640000000001234', '["text","你好 👋",{}]']) {
    for (const encoding of ['hex', 'base64url'] as const) {
      assert.equal(sha1(data, encoding), createHash('sha1').update(data, 'utf8').digest(encoding), `${data} ${encoding}`)
    }
  }
})

test('sha256 gives the digest createHash gives, in hex and base64url, for ASCII and Chinese text', () => {
  for (const data of ['', 'abc', '["text","你好 👋",{}]']) {
    for (const encoding of ['hex', 'base64url'] as const) {
      assert.equal(sha256(data, encoding), createHash('sha256').update(data, 'utf8').digest(encoding), `${data} ${encoding}`)
    }
  }
})

test('sha256 of the bytes is sha256 of the text they encode (the replay guard hashes the body as received)', () => {
  for (const data of ['', '{"text":"你好 👋"}']) assert.equal(sha256(Buffer.from(data, 'utf8'), 'hex'), sha256(data, 'hex'))
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { sha1, sha1Bytes, sha256Bytes } from '../src/hash.ts'

test('sha1 gives the digest createHash gives, in hex and base64url, for ASCII and Chinese text', () => {
  for (const data of ['', 'abc', 'bench-app-secret17640000000001234', '["text","你好 👋",{}]']) {
    for (const encoding of ['hex', 'base64url'] as const) {
      assert.equal(sha1(data, encoding), createHash('sha1').update(data, 'utf8').digest(encoding), `${data} ${encoding}`)
    }
  }
})

test('sha1Bytes and sha256Bytes give the bytes createHash gives, for ASCII and Chinese text', () => {
  for (const data of ['', 'abc', '["text","你好 👋",{}]']) {
    assert.deepEqual(sha1Bytes(data), createHash('sha1').update(data, 'utf8').digest(), data)
    assert.deepEqual(sha256Bytes(data), createHash('sha256').update(data, 'utf8').digest(), data)
  }
})

test('sha256Bytes of the bytes is sha256Bytes of the text they encode (the replay guard hashes the body as received)', () => {
  for (const data of ['', '{"text":"你好 👋"}']) assert.deepEqual(sha256Bytes(Buffer.from(data, 'utf8')), sha256Bytes(data))
})

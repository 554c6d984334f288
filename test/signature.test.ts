import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { computeSignature, timestampAgeMs, verifySignature } from '../src/signature.ts'

// The test vector of the Weibo protocol reference (§1, from Weibo's 新手接入指南).
const VECTOR = { secret: 'xyz123xyz', timestamp: '1397022061823', nonce: '57155157' }
const VECTOR_SIGNATURE = '90e4c22c90a58f26526c2dd5b6c56c8822edeaa1'

const sha1 = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex')

describe('computeSignature', () => {
  test('matches the protocol test vector', () => {
    assert.equal(computeSignature(VECTOR), VECTOR_SIGNATURE)
  })

  test('sorts the three values as strings, not numbers', () => {
    // Numerically 9 < 10 < 123; as strings '10' < '123' < '9'.
    assert.equal(computeSignature({ secret: '123', timestamp: '9', nonce: '10' }), sha1('101239'))
  })

  test('orders every arrangement of three values as the default sort does (UTF-16 code units), ties included', () => {
    const values = ['', 'a', 'ab', 'b', 'B', '10', '9', '秘', '\uD83D\uDE00', '\uFF61', 'a']
    for (const secret of values) {
      for (const timestamp of values) {
        for (const nonce of values) {
          assert.equal(computeSignature({ secret, timestamp, nonce }), sha1([secret, timestamp, nonce].sort().join('')), `${secret}|${timestamp}|${nonce}`)
        }
      }
    }
  })

  test('changes when any input changes', () => {
    const others = [
      computeSignature({ ...VECTOR, secret: 'xyz123xyy' }),
      computeSignature({ ...VECTOR, timestamp: '1397022061824' }),
      computeSignature({ ...VECTOR, nonce: '57155158' })
    ]
    for (const other of others) assert.notEqual(other, VECTOR_SIGNATURE)
  })

  test('is 40 lowercase hex digits', () => {
    assert.match(computeSignature({ secret: '秘密', timestamp: '1', nonce: '2' }), /^[0-9a-f]{40}$/)
  })
})

describe('verifySignature', () => {
  test('accepts the protocol test vector', () => {
    assert.equal(verifySignature({ ...VECTOR, signature: VECTOR_SIGNATURE }), true)
  })

  test('accepts the signature in uppercase hex', () => {
    assert.equal(verifySignature({ ...VECTOR, signature: VECTOR_SIGNATURE.toUpperCase() }), true)
  })

  test('refuses a signature made with another secret', () => {
    assert.equal(verifySignature({ ...VECTOR, secret: 'wrong-secret', signature: VECTOR_SIGNATURE }), false)
  })

  test('refuses a different timestamp or nonce', () => {
    assert.equal(verifySignature({ ...VECTOR, timestamp: '1397022061824', signature: VECTOR_SIGNATURE }), false)
    assert.equal(verifySignature({ ...VECTOR, nonce: '57155158', signature: VECTOR_SIGNATURE }), false)
  })

  test('refuses a signature with one character changed', () => {
    for (const index of [0, 20, 39]) {
      const char = VECTOR_SIGNATURE[index] === '0' ? '1' : '0'
      const changed = VECTOR_SIGNATURE.slice(0, index) + char + VECTOR_SIGNATURE.slice(index + 1)
      assert.equal(verifySignature({ ...VECTOR, signature: changed }), false, `changed at ${index}`)
    }
  })

  test('refuses empty, shorter, longer and non-hex signatures without throwing', () => {
    const bad = [
      '',
      VECTOR_SIGNATURE.slice(0, -1),
      VECTOR_SIGNATURE.slice(0, 20),
      `${VECTOR_SIGNATURE}0`,
      VECTOR_SIGNATURE + VECTOR_SIGNATURE,
      'z'.repeat(40),
      // 40 characters that become more than 40 bytes (or change length when lowercased).
      'é'.repeat(40),
      'İ'.repeat(40),
      ` ${VECTOR_SIGNATURE.slice(1)}`,
      // Hex parsing stops at the first pair that is not hex: each of these still reads as some bytes.
      `${VECTOR_SIGNATURE.slice(0, 39)}g`,
      `${VECTOR_SIGNATURE.slice(0, 20)}  ${VECTOR_SIGNATURE.slice(22)}`,
      `${VECTOR_SIGNATURE}zz`,
      `${VECTOR_SIGNATURE}\n`,
      // Compared as Latin-1 bytes: a character above U+00FF whose low byte is the right digit must not pass.
      `${VECTOR_SIGNATURE.slice(0, 39)}${String.fromCharCode(0x100 + VECTOR_SIGNATURE.charCodeAt(39))}`
    ]
    for (const signature of bad) {
      assert.doesNotThrow(() => verifySignature({ ...VECTOR, signature }), signature)
      assert.equal(verifySignature({ ...VECTOR, signature }), false, JSON.stringify(signature))
    }
  })
})

describe('timestampAgeMs', () => {
  test('reads 13 digits as milliseconds and 10 digits as seconds, in either direction of time', () => {
    assert.equal(timestampAgeMs('1397022061823', 1397022061823 + 5000), 5000)
    assert.equal(timestampAgeMs('1397022061823', 1397022061823 - 5000), 5000)
    assert.equal(timestampAgeMs('1397022061', 1397022071000), 10_000)
  })

  test('anything else is not a timestamp it can judge', () => {
    for (const value of ['', 'abc', '139702206182', '13970220618234', '-1397022061', '1397022061.5']) {
      assert.equal(timestampAgeMs(value, Date.now()), undefined, value)
    }
  })
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { STATUS_CODES } from 'node:http'
import { ERRORS, FanbotError, isFanbotError, type ErrorCode } from '../src/errors.ts'

const entries = Object.entries(ERRORS) as Array<[ErrorCode, { status: number, message: string }]>

describe('error registry', () => {
  test('is not empty', () => {
    assert.ok(entries.length > 0)
  })

  test('every code is WEIBO_ERR_<AREA>_<PROBLEM>', () => {
    for (const [code] of entries) {
      assert.match(code, /^WEIBO_ERR_[A-Z]+_[A-Z_]+$/, code)
    }
  })

  test('every status is a known HTTP error status from 400 to 599', () => {
    for (const [code, spec] of entries) {
      assert.ok(Number.isInteger(spec.status), code)
      assert.ok(spec.status >= 400 && spec.status <= 599, `${code}: ${spec.status}`)
      assert.ok(STATUS_CODES[spec.status] !== undefined, `${code}: ${spec.status} is not an HTTP status`)
    }
  })

  test('every message is non-empty, trimmed and does not end with a period', () => {
    for (const [code, spec] of entries) {
      assert.equal(typeof spec.message, 'string', code)
      assert.ok(spec.message.length > 0, code)
      assert.equal(spec.message, spec.message.trim(), code)
      assert.ok(!spec.message.endsWith('.'), `${code} ends with a period`)
    }
  })

  test('no two codes share a message', () => {
    const messages = entries.map(([, spec]) => spec.message)
    assert.equal(new Set(messages).size, messages.length)
  })
})

describe('FanbotError', () => {
  test('carries the code, the registry status and message', () => {
    const error = new FanbotError('WEIBO_ERR_SIGNATURE_INVALID')
    assert.ok(error instanceof Error)
    assert.equal(error.name, 'FanbotError')
    assert.equal(error.code, 'WEIBO_ERR_SIGNATURE_INVALID')
    assert.equal(error.statusCode, 401)
    assert.equal(error.message, ERRORS.WEIBO_ERR_SIGNATURE_INVALID.message)
    assert.ok(!Object.hasOwn(error, 'cause'))
    assert.match(String(error.stack), /FanbotError/)
  })

  test('every registry entry builds an error with its own status', () => {
    for (const [code, spec] of entries) {
      const error = new FanbotError(code)
      assert.equal(error.code, code)
      assert.equal(error.statusCode, spec.status)
      assert.equal(error.message, spec.message)
    }
  })

  test('appends the detail to the registry message', () => {
    const error = new FanbotError('WEIBO_ERR_PUSH_INVALID', { detail: 'missing sender_id' })
    assert.equal(error.message, `${ERRORS.WEIBO_ERR_PUSH_INVALID.message}: missing sender_id`)
    assert.equal(error.statusCode, 400)
  })

  test('keeps the original error as cause', () => {
    const original = new SyntaxError('Unexpected token')
    const error = new FanbotError('WEIBO_ERR_PUSH_MALFORMED_JSON', { cause: original, detail: original.message })
    assert.equal(error.cause, original)
    assert.equal(error.code, 'WEIBO_ERR_PUSH_MALFORMED_JSON')
    assert.match(error.message, /Unexpected token$/)
  })
})

describe('isFanbotError', () => {
  const error = new FanbotError('WEIBO_ERR_API_TIMEOUT')

  test('without a code: true for any FanbotError only', () => {
    assert.equal(isFanbotError(error), true)
    assert.equal(isFanbotError(new Error('WEIBO_ERR_API_TIMEOUT')), false)
    assert.equal(isFanbotError(Object.assign(new Error('x'), { code: 'WEIBO_ERR_API_TIMEOUT', statusCode: 504 })), false)
    assert.equal(isFanbotError({ code: 'WEIBO_ERR_API_TIMEOUT' }), false)
    assert.equal(isFanbotError(undefined), false)
    assert.equal(isFanbotError(null), false)
    assert.equal(isFanbotError('WEIBO_ERR_API_TIMEOUT'), false)
  })

  test('with a code: true only when the code matches', () => {
    assert.equal(isFanbotError(error, 'WEIBO_ERR_API_TIMEOUT'), true)
    assert.equal(isFanbotError(error, 'WEIBO_ERR_API_NETWORK'), false)
    assert.equal(isFanbotError(new Error('x'), 'WEIBO_ERR_API_TIMEOUT'), false)
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decimalString } from '../src/decimal-string.ts'
import { isFanbotError, type ErrorCode } from '../src/errors.ts'
import { text, position } from '../src/index.ts'
import { validateReply } from '../src/internals.ts'
import { readPush } from '../src/push-reader.ts'
import { nestsDeeperThan } from '../src/push-body.ts'
import { startTestApp } from './helpers/app.ts'
import { decodePassive, fixture, sendPush } from './helpers/push.ts'

function refusedWith (raw: string): ErrorCode | 'accepted' {
  try {
    readPush(raw)
    return 'accepted'
  } catch (error) {
    assert.ok(isFanbotError(error), String(error))
    assert.equal(error.statusCode, 400)
    return error.code
  }
}

/** The text fixture with one field's raw JSON value replaced (so number tokens are written exactly as given). */
function textWithRaw (field: string, rawValue: string): string {
  const base = fixture('text')
  const pattern = new RegExp(`"${field}":("[^"]*"|[^,}]+)`)
  assert.match(base, pattern)
  return base.replace(pattern, `"${field}":${rawValue}`)
}

describe('strict parsing: nesting and size', () => {
  test('data nested 5,000 arrays deep is a 400, not a 500', async (t) => {
    const deep = '['.repeat(5000) + ']'.repeat(5000)
    assert.equal(refusedWith(fixture('text').replace('"data":{}', `"data":{"x":${deep}}`)), 'WEIBO_ERR_PUSH_TOO_DEEP')
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => text('never') }] })
    const response = await sendPush(app, fixture('text').replace('"data":{}', `"data":{"x":${deep}}`))
    assert.equal(response.statusCode, 400)
    assert.equal(response.json<{ code: string }>().code, 'WEIBO_ERR_PUSH_TOO_DEEP')
    // Weibo's retries of it get the same answer.
    assert.equal((await sendPush(app, fixture('text').replace('"data":{}', `"data":{"x":${deep}}`))).statusCode, 400)
  })

  test('brackets inside strings do not count as nesting', () => {
    assert.equal(nestsDeeperThan(JSON.stringify({ text: '['.repeat(100) }), 2), false)
    assert.equal(nestsDeeperThan(JSON.stringify({ text: '\\"[[[[' }), 2), false)
    assert.equal(nestsDeeperThan('[[[]]]', 2), true)
    assert.equal(refusedWith(textWithRaw('text', JSON.stringify('[{'.repeat(1000)))), 'accepted')
  })

  test('many brackets side by side are not depth; the depth is exact at the limit, whatever the bracket kinds', () => {
    assert.equal(nestsDeeperThan(JSON.stringify({ a: Array.from({ length: 50 }, () => ({ b: [] })) }), 4), false) // 101 opening brackets, depth 4
    for (const [open, close] of [['[', ']'], ['{"a":', '}'], ['[{"a":', '}]']] as const) {
      const nested = (depth: number): string => open.repeat(depth) + '1' + close.repeat(depth)
      const levels = (open.match(/[[{]/g) ?? []).length
      assert.equal(nestsDeeperThan(nested(Math.floor(32 / levels)), 32), false, `${open} within the limit`)
      assert.equal(nestsDeeperThan(nested(Math.floor(32 / levels) + 1), 32), true, `${open} past the limit`)
    }
  })
})

describe('strict parsing: number formats', () => {
  test('a big integer outside an id field is validated as its type, not turned into a string', () => {
    assert.equal(refusedWith(textWithRaw('text', '-308386742893042600')), 'WEIBO_ERR_PUSH_INVALID')
    assert.equal(refusedWith(textWithRaw('type', '12345678901234567890')), 'WEIBO_ERR_PUSH_INVALID')
    assert.equal(refusedWith(textWithRaw('created_at', '12345678901234567890')), 'WEIBO_ERR_PUSH_INVALID')
  })

  test('ids are positive integers written as digits, at most 2^64-1', () => {
    for (const bad of ['0', '-0', '0.0', '1e-400', '1e3', '1000.0', '-5', '"0"', '"-1"', '"1e3"', '"007"', '18446744073709551616',
      '"18446744073709551616"', '99999999999999999999', 'true', 'null', '""']) {
      assert.equal(refusedWith(textWithRaw('sender_id', bad)), 'WEIBO_ERR_PUSH_INVALID', `sender_id ${bad}`)
      assert.equal(refusedWith(textWithRaw('receiver_id', bad)), 'WEIBO_ERR_PUSH_INVALID', `receiver_id ${bad}`)
    }
    for (const good of ['1', '2489518277', '9007199254740993', '18446744073709551615', '"18446744073709551615"', '"42"']) {
      assert.equal(refusedWith(textWithRaw('sender_id', good)), 'accepted', `sender_id ${good}`)
    }
    const reading = readPush(textWithRaw('sender_id', '18446744073709551615'))
    assert.ok(reading.kind === 'message')
    assert.equal(reading.message.sender_id, '18446744073709551615')
  })

  test('ids inside data (vfid, tovfid, a mention key) follow the same rule', () => {
    assert.equal(refusedWith(fixture('image').replace(/"vfid":\d+/, '"vfid":1e3')), 'WEIBO_ERR_PUSH_INVALID')
    assert.equal(refusedWith(fixture('image').replace(/"vfid":\d+/, '"vfid":0')), 'WEIBO_ERR_PUSH_INVALID')
    assert.equal(refusedWith(fixture('image').replace(/"vfid":\d+/, '"vfid":12345678901234567890')), 'accepted')
  })
})

describe('strict parsing: coordinates', () => {
  test('coordinates outside ±180 / ±90 are a 400', () => {
    const withCoordinates = (longitude: string, latitude: string): string =>
      fixture('position').replace('"longitude":"116.308586"', `"longitude":${longitude}`).replace('"latitude":"39.982525"', `"latitude":${latitude}`)
    for (const [longitude, latitude] of [['"999"', '"0"'], ['181', '0'], ['"0"', '"90.5"'], ['-180.01', '0'], ['0', '-91']]) {
      assert.equal(refusedWith(withCoordinates(longitude ?? '', latitude ?? '')), 'WEIBO_ERR_PUSH_INVALID', `${longitude}, ${latitude}`)
    }
    assert.equal(refusedWith(withCoordinates('-180', '90')), 'accepted')
    const reading = readPush(withCoordinates('0.0000001', '0'))
    assert.ok(reading.kind === 'message' && reading.message.type === 'position')
    assert.equal(reading.message.data.longitude, '0.0000001')
  })

  test('position(0.0000001, 0) writes a decimal string, not 1e-7', () => {
    const reply = validateReply(position(0.0000001, 0))
    assert.ok(reply?.type === 'position')
    assert.equal(reply.longitude, '0.0000001')
    assert.equal(reply.latitude, '0')
    assert.equal(decimalString(-1.5e-10), '-0.00000000015')
    assert.equal(decimalString(116.308586), '116.308586')
  })
})

describe('the receiving account is part of a push\'s identity', () => {
  test('the same push to two receiving accounts runs twice, and each answer names its own account', async (t) => {
    let runs = 0
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => { runs++; return text('hi') } }] })
    const toFirst = decodePassive((await sendPush(app, textWithRaw('receiver_id', '111'))).body)
    const toSecond = decodePassive((await sendPush(app, textWithRaw('receiver_id', '222'))).body)
    assert.equal(runs, 2)
    assert.equal(toFirst.sender_id, '111')
    assert.equal(toSecond.sender_id, '222')
    // A retry to the first account is still a retry.
    assert.equal(decodePassive((await sendPush(app, textWithRaw('receiver_id', '111'))).body).sender_id, '111')
    assert.equal(runs, 2)
  })
})

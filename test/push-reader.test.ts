import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { isFanbotError, type ErrorCode, type FanbotError } from '../src/errors.ts'
import type { Message } from '../src/message-schema.ts'
import { parsePushBody } from '../src/push-body.ts'
import { readPush } from '../src/push-reader.ts'
import { fixture, fixtureWith } from './helpers/push.ts'

const FIXTURE_NAMES = readdirSync(new URL('./fixtures/', import.meta.url))
  .filter((name) => name.endsWith('.json'))
  .map((name) => name.slice(0, -'.json'.length))
  .sort()

/** Reads a push that must be a supported message. */
function readMessage (raw: string): Message {
  const reading = readPush(raw)
  assert.equal(reading.kind, 'message', JSON.stringify(reading))
  if (reading.kind !== 'message') throw new Error('unreachable')
  return reading.message
}

/** Reads a push that must fail with `code`, and returns the error. */
function readError (raw: string, code: ErrorCode): FanbotError {
  let caught: unknown
  assert.throws(() => readPush(raw), (error) => { caught = error; return true })
  assert.ok(isFanbotError(caught, code), `expected ${code}, got ${String(caught)}`)
  assert.equal(caught.statusCode, 400)
  return caught
}

/** A text push with `fields` changed; `undefined` removes a field. */
const textWith = (fields: Record<string, unknown>): string => fixtureWith('text', fields)

describe('readPush: fixtures', () => {
  test('there is a fixture for every message type', () => {
    const types = new Set(FIXTURE_NAMES.map((name) => name.split('-')[0]))
    assert.deepEqual([...types].sort(), ['event', 'image', 'mention', 'position', 'text', 'voice'])
  })

  for (const name of FIXTURE_NAMES) {
    test(`${name} reads as a message of its type`, () => {
      const raw = JSON.parse(fixture(name)) as { type: string, text: string, created_at: string, data: { subtype?: string } }
      const message = readMessage(fixture(name))
      assert.equal(message.type, raw.type)
      assert.equal(message.type, name.split('-')[0])
      assert.equal(message.text, raw.text)
      assert.equal(message.sender_id, '2489518277')
      assert.equal(message.receiver_id, '1902538057')
      assert.equal(message.created_at, raw.created_at)
      if (raw.data.subtype !== undefined) {
        assert.ok('subtype' in message.data)
        assert.equal(message.data.subtype, raw.data.subtype)
      }
    })
  }
})

describe('readPush: ids', () => {
  test('numeric ids come out as digit strings', () => {
    const voice = readMessage(fixture('voice'))
    assert.equal(voice.sender_id, '2489518277')
    assert.equal(voice.receiver_id, '1902538057')
    assert.ok(voice.type === 'voice')
    assert.deepEqual(voice.data, { vfid: '821804459', tovfid: '821804469' })

    const scan = readMessage(fixture('event-scan'))
    assert.equal(scan.id, '1211260020031346')
    assert.ok(scan.type === 'event')
    assert.deepEqual(scan.data, { subtype: 'scan', key: 'QR_SCENE_123123', ticket: 'TICKET' })

    const comment = readMessage(fixture('mention-comment'))
    assert.ok(comment.type === 'mention')
    assert.deepEqual(comment.data, { subtype: 'comment', key: '4123456789012345' })
  })

  test('ids already given as strings are kept', () => {
    const message = readMessage(textWith({ sender_id: '2489518277', receiver_id: '1902538057' }))
    assert.equal(message.sender_id, '2489518277')
    assert.equal(message.receiver_id, '1902538057')
  })

  test('a push without id has none', () => {
    assert.equal(readMessage(fixture('text')).id, undefined)
  })

  test('a 19-digit sender_id written as a JSON number survives digit for digit', () => {
    const raw = fixture('text').replace('"sender_id":2489518277', '"sender_id":9223372036854775807')
    assert.match(raw, /"sender_id":9223372036854775807,/)
    // JSON.parse alone would round it.
    assert.notEqual(String((JSON.parse(raw) as { sender_id: number }).sender_id), '9223372036854775807')
    assert.equal(readMessage(raw).sender_id, '9223372036854775807')
  })

  test('a 16-digit id just above 2^53 survives, also after whitespace', () => {
    const raw = fixture('text').replace('"receiver_id":1902538057', '"receiver_id":\n  9007199254740993')
    assert.equal(readMessage(raw).receiver_id, '9007199254740993')
  })

  test('a 17-digit data.key in a mention survives', () => {
    const raw = fixture('mention-status').replace('"key":"3700057402482222"', '"key":12345678901234567')
    assert.match(raw, /"key":12345678901234567\}/)
    const message = readMessage(raw)
    assert.ok(message.type === 'mention')
    assert.equal(message.data.key, '12345678901234567')
  })

  test('big ids and small numbers in one push both come out right', () => {
    const raw = '{"id":1211260020031346999,"type":"voice","receiver_id":1902538057,"sender_id":2489518277,' +
      '"created_at":"Mon Jul 16 18:09:22 +0800 2012","text":"发了一个语音消息","data":{"vfid":821804459,"tovfid":18446744073709551615}}'
    const message = readMessage(raw)
    assert.equal(message.id, '1211260020031346999')
    assert.equal(message.receiver_id, '1902538057')
    assert.ok(message.type === 'voice')
    assert.deepEqual(message.data, { vfid: '821804459', tovfid: '18446744073709551615' })
  })

  test('negative, fractional or non-digit ids are refused', () => {
    for (const senderId of [-1, 1.5, 'abc', '', '12 34', true, null]) {
      readError(textWith({ sender_id: senderId }), 'WEIBO_ERR_PUSH_INVALID')
    }
  })
})

describe('readPush: malformed and invalid bodies', () => {
  test('malformed JSON is WEIBO_ERR_PUSH_MALFORMED_JSON', () => {
    for (const raw of ['', '{', '{"type":"text",}', 'type=text', fixture('text').slice(0, -1)]) {
      readError(raw, 'WEIBO_ERR_PUSH_MALFORMED_JSON')
    }
  })

  test('malformed JSON holding a big number is WEIBO_ERR_PUSH_MALFORMED_JSON too', () => {
    const error = readError('{"sender_id": 12345678901234567890, "type":', 'WEIBO_ERR_PUSH_MALFORMED_JSON')
    assert.ok(error.cause instanceof Error)
  })

  test('a JSON array, null, string or number is WEIBO_ERR_PUSH_INVALID', () => {
    for (const raw of ['[]', `[${fixture('text')}]`, 'null', '"text"', '42', 'true']) {
      readError(raw, 'WEIBO_ERR_PUSH_INVALID')
    }
  })

  for (const field of ['type', 'sender_id', 'receiver_id', 'created_at']) {
    test(`a push without ${field} is WEIBO_ERR_PUSH_INVALID naming ${field}`, () => {
      const error = readError(textWith({ [field]: undefined }), 'WEIBO_ERR_PUSH_INVALID')
      assert.match(error.message, new RegExp(`\\b${field}\\b`))
    })
  }

  test('an empty type or created_at is refused', () => {
    readError(textWith({ type: '' }), 'WEIBO_ERR_PUSH_INVALID')
    readError(textWith({ created_at: '' }), 'WEIBO_ERR_PUSH_INVALID')
  })
})

describe('readPush: unknown types and subtypes', () => {
  test('an unknown type is unsupported, with its type', () => {
    assert.deepEqual(readPush(textWith({ type: 'gift', data: { amount: 1 } })), { kind: 'unsupported', type: 'gift', subtype: undefined })
  })

  test('an unknown type keeps its subtype when it has one', () => {
    assert.deepEqual(readPush(textWith({ type: 'gift', data: { subtype: 'rose' } })), { kind: 'unsupported', type: 'gift', subtype: 'rose' })
  })

  test('an event with an unknown subtype is unsupported, with the subtype', () => {
    const raw = fixtureWith('event-follow', { data: { subtype: 'shake' } })
    assert.deepEqual(readPush(raw), { kind: 'unsupported', type: 'event', subtype: 'shake' })
  })

  test('a mention with an unknown subtype is unsupported, with the subtype', () => {
    const raw = fixtureWith('mention-status', { data: { subtype: 'like', key: '1' } })
    assert.deepEqual(readPush(raw), { kind: 'unsupported', type: 'mention', subtype: 'like' })
  })

  test('an unknown type still needs the envelope fields', () => {
    readError(textWith({ type: 'gift', sender_id: undefined }), 'WEIBO_ERR_PUSH_INVALID')
  })
})

describe('readPush: data of known types', () => {
  test('a position without longitude is refused, naming it', () => {
    const error = readError(fixtureWith('position', { data: { latitude: '39.982525' } }), 'WEIBO_ERR_PUSH_INVALID')
    assert.match(error.message, /longitude/)
  })

  test('a position with a non-numeric coordinate is refused', () => {
    readError(fixtureWith('position', { data: { longitude: 'east', latitude: '39.982525' } }), 'WEIBO_ERR_PUSH_INVALID')
  })

  test('coordinates given as numbers become strings', () => {
    const message = readMessage(fixtureWith('position', { data: { longitude: 116.308586, latitude: -39.5 } }))
    assert.ok(message.type === 'position')
    assert.deepEqual(message.data, { longitude: '116.308586', latitude: '-39.5' })
  })

  test('a voice or image without tovfid is refused, naming it', () => {
    for (const name of ['voice', 'image']) {
      const error = readError(fixtureWith(name, { data: { vfid: 821804459 } }), 'WEIBO_ERR_PUSH_INVALID')
      assert.match(error.message, /tovfid/)
    }
  })

  test('a mention with subtype status but no key is refused, naming it', () => {
    const error = readError(fixtureWith('mention-status', { data: { subtype: 'status' } }), 'WEIBO_ERR_PUSH_INVALID')
    assert.match(error.message, /key/)
  })

  test('an event or mention without data, or without subtype, is refused', () => {
    readError(fixtureWith('event-follow', { data: undefined }), 'WEIBO_ERR_PUSH_INVALID')
    readError(fixtureWith('event-follow', { data: {} }), 'WEIBO_ERR_PUSH_INVALID')
    readError(fixtureWith('mention-status', { data: { key: '1' } }), 'WEIBO_ERR_PUSH_INVALID')
  })

  test('a numeric event key becomes a string', () => {
    const message = readMessage(fixtureWith('event-scan', { data: { subtype: 'scan', key: 123123, ticket: 'T' } }))
    assert.ok(message.type === 'event')
    assert.equal(message.data.key, '123123')
  })

  test('a text push without text reads as empty text', () => {
    assert.equal(readMessage(textWith({ text: undefined })).text, '')
  })

  test('a text push without data reads as empty data', () => {
    const message = readMessage(textWith({ data: undefined }))
    assert.deepEqual(message.data, {})
  })

  test('a digit run inside a string value is not altered', () => {
    assert.equal(readMessage(textWith({ text: '12345678901234567890' })).text, '12345678901234567890')
    // Looks like a big number after a colon, which sends the body through the lossless parser.
    assert.equal(readMessage(textWith({ text: 'order: 12345678901234567890' })).text, 'order: 12345678901234567890')
    assert.equal(readMessage(textWith({ text: '{"a":12345678901234567890}' })).text, '{"a":12345678901234567890}')
  })

  test('strings stay intact when the push also holds a big id', () => {
    const raw = textWith({ text: '单号:98765432109876543210, 谢谢 😀', sender_id: 1 })
      .replace('"sender_id":1', '"sender_id":9223372036854775807')
    const message = readMessage(raw)
    assert.equal(message.sender_id, '9223372036854775807')
    assert.equal(message.text, '单号:98765432109876543210, 谢谢 😀')
  })
})

describe('parsePushBody', () => {
  test('keeps big integers as exact strings at id keys only; elsewhere a number is a number', () => {
    assert.deepEqual(parsePushBody('{"big_id":12345678901234567890,"id":9007199254740993,"small":42,"float":1.5,"list":[9007199254740993,-7]}'),
      { big_id: '12345678901234567890', id: '9007199254740993', small: 42, float: 1.5, list: [Number('9007199254740993'), -7] })
  })

  test('parses a body without big numbers like JSON.parse', () => {
    assert.deepEqual(parsePushBody(fixture('text')), JSON.parse(fixture('text')))
  })
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { readdirSync } from 'node:fs'
import { readCommonPush } from '../src/common-push.ts'
import { MessageSchema } from '../src/message-schema.ts'
import { parsePushBody } from '../src/push-body.ts'
import { fixture } from './helpers/push.ts'

/**
 * readCommonPush must be an exact shortcut of MessageSchema: whatever it accepts, zod accepts too and builds the
 * same message (values and key order); everything else it leaves to zod. And it must actually take the usual push,
 * or it saves nothing.
 */

/** Asserts the shortcut's answer for `body` is zod's, when it gives one; returns whether it did. */
function agreesWithZod (body: unknown): boolean {
  const fast = readCommonPush(body)
  if (fast === undefined) return false
  const zod = MessageSchema.safeParse(body)
  assert.ok(zod.success, `the shortcut accepted what zod refuses: ${JSON.stringify(body)}`)
  assert.deepStrictEqual(fast, zod.data)
  assert.deepStrictEqual(Object.keys(fast), Object.keys(zod.data))
  assert.deepStrictEqual(Object.keys(fast.data), Object.keys(zod.data.data))
  return true
}

const COMMON = ['text', 'position', 'voice', 'image']
const fixtureNames = readdirSync(new URL('./fixtures/', import.meta.url))
  .filter((name) => name.endsWith('.json'))
  .map((name) => name.slice(0, -'.json'.length))

// Values at and around each rule's edges, in the JSON types a body can hold.
// Valid values weigh more, so that many generated bodies reach the shortcut's end and get compared.
const pushIds = fc.oneof(
  { arbitrary: fc.bigInt({ min: 1n, max: 18446744073709551615n }).map(String), weight: 4 },
  { arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), weight: 4 },
  fc.constantFrom(0, -1, 1.5, -0, 2 ** 53, 2 ** 64, '0', '01', '-1', '1e3', '1.0', ' 1', '1 ', '', '18446744073709551615',
    '18446744073709551616', '99999999999999999999', '100000000000000000000', true, null, [], {}, ['1'], { id: 1 })
)
const coordinates = fc.oneof(
  { arbitrary: fc.double({ min: -200, max: 200, noNaN: true }).map((value) => value.toFixed(6)), weight: 6 },
  fc.double({ min: -200, max: 200, noNaN: true }),
  fc.constantFrom('116.308586', '-0', '180', '180.0000001', '-90', '90.5', '1e2', '.5', '5.', '--1', '', ' 1', 1e-7, null, true, {})
)
const texts = fc.oneof({ arbitrary: fc.string(), weight: 4 }, fc.constantFrom('', '你好', 1, null, false, ['a'], {}))
const createdAts = fc.oneof(fc.constantFrom('Tue Dec 01 08:00:07 +0800 2026', '', 'x', 0, null, ['x']), { arbitrary: fc.string(), weight: 4 })
const types = fc.oneof({ arbitrary: fc.constantFrom(...COMMON), weight: 6 }, fc.constantFrom('event', 'mention', 'other', '', 'TEXT', 1, null))
const anything = fc.jsonValue({ maxDepth: 2 })
const dataObjects = fc.oneof(
  { arbitrary: fc.record({ longitude: coordinates, latitude: coordinates }), weight: 3 },
  { arbitrary: fc.record({ vfid: pushIds, tovfid: pushIds }), weight: 3 },
  fc.record({ longitude: coordinates, latitude: coordinates }, { requiredKeys: [] }),
  fc.record({ vfid: pushIds, tovfid: pushIds }, { requiredKeys: [] }),
  fc.record({ longitude: coordinates, latitude: coordinates, vfid: pushIds, tovfid: pushIds, extra: anything }, { requiredKeys: [] }),
  { arbitrary: fc.constant({}), weight: 3 },
  fc.constantFrom('{}', '{"a":1}', '{"__proto__":{"x":1}}', '{"__proto__":1}', '[]', 'null', '"x"', '1', '[{}]').map((json) => JSON.parse(json) as unknown),
  anything
)
const fields = { type: types, sender_id: pushIds, receiver_id: pushIds, created_at: createdAts, text: texts, id: pushIds, data: dataObjects, extra: anything }
/** Bodies as they reach the reader: JSON text parsed, so an absent field is absent (never `undefined`). */
const bodies = fc.oneof(
  { arbitrary: fc.record(fields, { requiredKeys: ['type', 'sender_id', 'receiver_id', 'created_at'] }), weight: 3 },
  fc.record(fields, { requiredKeys: [] })
).map((body) => JSON.parse(JSON.stringify(body)) as unknown)

/** Well-formed common pushes in Weibo's own shape: the shortcut must take every one. */
const wellFormed = fc.record({
  type: fc.constantFrom(...COMMON),
  sender_id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  receiver_id: fc.oneof(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.bigInt({ min: 1n, max: 18446744073709551615n }).map(String)),
  created_at: fc.string({ minLength: 1 }),
  text: fc.string(),
  vfid: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER - 1 }),
  longitude: fc.double({ min: -180, max: 180, noNaN: true }).map((value) => value.toFixed(6)),
  latitude: fc.double({ min: -90, max: 90, noNaN: true }).map((value) => value.toFixed(6))
}).map(({ vfid, longitude, latitude, ...push }) => ({
  ...push,
  data: push.type === 'text' ? {} : push.type === 'position' ? { longitude, latitude } : { vfid, tovfid: vfid + 1 }
}))

describe('readCommonPush', () => {
  test('takes every text, position, voice and image fixture, as zod reads it', () => {
    const common = fixtureNames.filter((name) => COMMON.includes(name.split('-')[0] ?? ''))
    assert.ok(common.length >= 4)
    for (const name of common) assert.ok(agreesWithZod(parsePushBody(fixture(name))), `${name} was left to zod`)
  })

  test('leaves events and mentions to zod', () => {
    for (const name of fixtureNames.filter((name) => !COMMON.includes(name.split('-')[0] ?? ''))) {
      assert.equal(readCommonPush(parsePushBody(fixture(name))), undefined, name)
    }
  })

  test('accepts nothing zod refuses and builds what zod builds (generated bodies, edges included)', () => {
    let taken = 0
    fc.assert(fc.property(bodies, (body) => { if (agreesWithZod(body)) taken++ }), { numRuns: 20_000 })
    // The generator must reach the shortcut often enough for the comparison to mean something.
    assert.ok(taken > 500, `only ${taken} generated bodies were taken`)
  })

  test('takes every well-formed common push', () => {
    fc.assert(fc.property(wellFormed, (push) => {
      const body = JSON.parse(JSON.stringify(push)) as unknown
      assert.ok(agreesWithZod(body), `left to zod: ${JSON.stringify(push)}`)
    }), { numRuns: 2_000 })
  })

  test('leaves the body as it was and shares no object with it', () => {
    const body = JSON.parse('{"type":"position","sender_id":1,"receiver_id":"2","created_at":"x","extra":1,' +
      '"data":{"longitude":"1.5","latitude":"2","more":true}}') as { data: object }
    const before = structuredClone(body)
    const message = readCommonPush(body)
    assert.deepStrictEqual(body, before)
    assert.notEqual(message?.data, body.data)
    assert.deepStrictEqual(message?.data, { longitude: '1.5', latitude: '2' })
  })
})

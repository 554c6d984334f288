import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isFanbotError } from '../src/errors.ts'
import { MAX_TEXT_LENGTH, ReplySchema, validateReply } from '../src/reply.ts'

/**
 * validateReply takes the usual reply (a short plain text object) without zod. It must be an exact shortcut of
 * ReplySchema: whatever validateReply accepts, zod accepts and builds the same reply (values and keys); whatever zod
 * refuses, validateReply refuses. The shortcut is not exported, so it is checked through validateReply, whose answer
 * must equal zod's for every generated value.
 */
function sameAsZod (value: unknown): void {
  const zod = ReplySchema.safeParse(value)
  let ours: unknown
  let threw = false
  try {
    ours = validateReply(value)
  } catch (error) {
    // A refusal is the registry's error, never a TypeError of the shortcut's own.
    assert.ok(isFanbotError(error, 'WEIBO_ERR_REPLY_INVALID'), `not a WEIBO_ERR_REPLY_INVALID: ${String(error)}`)
    threw = true
  }
  if (!zod.success) {
    assert.ok(threw, `accepted what zod refuses: ${String(JSON.stringify(value))}`)
    return
  }
  assert.ok(!threw, `refused what zod accepts: ${String(JSON.stringify(value))}`)
  assert.deepStrictEqual(ours, zod.data)
  assert.deepStrictEqual(Object.keys(ours as object), Object.keys(zod.data))
}

const texts = fc.oneof(
  { arbitrary: fc.string({ maxLength: 20 }), weight: 4 },
  fc.string({ unit: 'grapheme', minLength: MAX_TEXT_LENGTH - 2, maxLength: MAX_TEXT_LENGTH + 2 }),
  fc.string({ unit: 'binary', minLength: MAX_TEXT_LENGTH - 2, maxLength: MAX_TEXT_LENGTH + 2 }),
  fc.constantFrom('', ' ', '\n\t', '\u3000', '\u00a0x', 'x'.repeat(MAX_TEXT_LENGTH), 'x'.repeat(MAX_TEXT_LENGTH + 1), '\ud83d', 1, null, true, ['a'], {})
)
const types = fc.oneof({ arbitrary: fc.constant('text'), weight: 6 }, fc.constantFrom('TEXT', 'articles', 'position', '', 1, null))
const extras = fc.record({ split: fc.constantFrom(true, false, undefined, 'yes'), extra: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] })

test('validateReply answers as zod does for text-like replies (generated)', () => {
  fc.assert(fc.property(types, texts, extras, fc.boolean(), (type, text, extra, textFirst) => {
    sameAsZod(textFirst ? { text, type, ...extra } : { type, text, ...extra })
  }), { numRuns: 20_000 })
})

test('validateReply answers as zod does for objects that only look plain', () => {
  const inherited = Object.assign(Object.create({ extra: 1 }) as object, { type: 'text', text: 'hi' })
  const hiddenType = Object.defineProperty({ text: 'hi' }, 'type', { value: 'text', enumerable: false })
  const hiddenTypeAndExtra = Object.defineProperty({ text: 'hi', extra: 1 }, 'type', { value: 'text', enumerable: false })
  const hiddenExtra = Object.defineProperty({ type: 'text', text: 'hi' }, 'extra', { value: 1, enumerable: false })
  const symbolKey = { type: 'text', text: 'hi', [Symbol('x')]: 1 }
  const noPrototype = Object.assign(Object.create(null) as object, { type: 'text', text: 'hi' })
  const getter = Object.defineProperty({ type: 'text' }, 'text', { get: () => 'hi', enumerable: true })
  class Reply { type = 'text'; text = 'hi' }
  // `split` where a key walk does not see it: zod reads it all the same.
  const hiddenSplit = Object.defineProperty({ type: 'text', text: 'hi' }, 'split', { value: 'yes', enumerable: false })
  const hiddenSplitTrue = Object.defineProperty({ type: 'text', text: 'hi' }, 'split', { value: true, enumerable: false })
  const inheritedSplit = Object.assign(Object.create(Object.defineProperty({}, 'split', { value: undefined, enumerable: false })) as object, { type: 'text', text: 'hi' })
  class WithSplitMethod { type = 'text'; text = 'hi'; split (): void {} }
  class WithSplitGetter { type = 'text'; text = 'hi'; get split (): boolean { return true } }
  const array = Object.assign([], { type: 'text', text: 'hi' })
  const values = [inherited, hiddenType, hiddenTypeAndExtra, hiddenExtra, symbolKey, noPrototype, getter, new Reply(), ['text', 'hi'],
    new Map([['type', 'text']]), hiddenSplit, hiddenSplitTrue, inheritedSplit, new WithSplitMethod(), new WithSplitGetter(), array, new Proxy(array, {})]
  for (const value of values) {
    sameAsZod(value)
  }
})

test('a short plain text reply is accepted as a new object of its two keys', () => {
  const value = { type: 'text', text: 'ok text' }
  const reply = validateReply(value)
  assert.deepStrictEqual(reply, { type: 'text', text: 'ok text' })
  assert.notStrictEqual(reply, value)
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { codePointLength, splitText } from '../src/text-split.ts'
import { replyParts, validateReply, text, MAX_SPLIT_PARTS } from '../src/reply.ts'
import { isFanbotError } from '../src/errors.ts'

describe('splitText', () => {
  test('a text within the limit is one part', () => {
    assert.deepEqual(splitText('你好', 300), ['你好'])
  })

  test('cuts at the last line break in the second half, then at a sentence end, then at a pause', () => {
    assert.deepEqual(splitText('aaaaaa\nbbb ccc', 10), ['aaaaaa', 'bbb ccc'])
    assert.deepEqual(splitText('一二三四五。六七八九十一二', 10), ['一二三四五。', '六七八九十一二'])
    assert.deepEqual(splitText('一二三四五六，七八九十一二', 10), ['一二三四五六，', '七八九十一二'])
  })

  test('with no break in the second half it cuts hard at the limit', () => {
    assert.deepEqual(splitText('a\nbcdefghijklmn', 10), ['a\nbcdefghi', 'jklmn'])
  })

  test('never cuts an emoji in two, and no part is over the limit in code points', () => {
    const textWithEmoji = '😀'.repeat(25)
    const parts = splitText(textWithEmoji, 10)
    assert.deepEqual(parts.map(codePointLength), [10, 10, 5])
    assert.equal(parts.join(''), textWithEmoji)
  })

  test('keeps every character but the whitespace at the cuts', () => {
    const long = Array.from({ length: 50 }, (_, index) => `第${index}句话说完了。`).join(' ')
    const parts = splitText(long, 40)
    assert.ok(parts.every((part) => codePointLength(part) <= 40 && part.trim() === part && part !== ''))
    assert.equal(parts.join('').replace(/\s/g, ''), long.replace(/\s/g, ''))
  })
})

describe('text replies with split', () => {
  test('a split reply of 300 characters or more becomes plain text parts of at most 299', () => {
    const reply = validateReply(text('字'.repeat(650), { split: true }))
    assert.ok(reply !== undefined)
    assert.deepEqual(replyParts(reply).map((part) => part.type === 'text' ? codePointLength(part.text) : 0), [299, 299, 52])
    assert.ok(replyParts(reply).every((part) => !('split' in part)))
  })

  test(`a split reply needing more than ${MAX_SPLIT_PARTS} messages is invalid`, () => {
    assert.throws(() => validateReply(text('字'.repeat(299 * MAX_SPLIT_PARTS + 1), { split: true })),
      (error: unknown) => isFanbotError(error, 'WEIBO_ERR_REPLY_INVALID') && /more than 10 messages/.test(error.message))
  })

  test('split must be a boolean', () => {
    assert.throws(() => validateReply({ type: 'text', text: 'x', split: 'yes' }), (error: unknown) => isFanbotError(error, 'WEIBO_ERR_REPLY_INVALID'))
  })
})

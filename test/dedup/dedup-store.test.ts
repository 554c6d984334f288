import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { dedupKey } from '../../src/dedup/dedup-key.ts'
import type { Message } from '../../src/message-schema.ts'
import { readPush } from '../../src/push-reader.ts'
import { fixture, fixtureWith } from '../helpers/push.ts'

function message (raw: string): Message {
  const reading = readPush(raw)
  assert.ok(reading.kind === 'message')
  return reading.message
}

describe('dedupKey', () => {
  const created = 'Mon Jul 16 18:09:20 +0800 2012'

  test('the same push gives the same key every time it is read', () => {
    for (const name of ['text', 'image', 'event-scan', 'mention-comment']) {
      assert.equal(dedupKey(message(fixture(name))), dedupKey(message(fixture(name))), name)
    }
  })

  test('the same push with ids written as numbers or strings gives the same key', () => {
    assert.equal(dedupKey(message(fixture('text'))), dedupKey(message(fixtureWith('text', { sender_id: '2489518277' }))))
  })

  test('starts with sender_id|created_at|', () => {
    const key = dedupKey(message(fixture('text')))
    assert.ok(key.startsWith(`2489518277|${created}|`), key)
    assert.ok(key.length > `2489518277|${created}|`.length)
  })

  test('two messages in the same second from the same fan get different keys', () => {
    const first = dedupKey(message(fixtureWith('text', { text: '你好' })))
    const second = dedupKey(message(fixtureWith('text', { text: '在吗' })))
    assert.notEqual(first, second)
    assert.ok(first.startsWith(`2489518277|${created}|`) && second.startsWith(`2489518277|${created}|`))
  })

  test('a different type or data with the same text gives a different key', () => {
    const image = message(fixtureWith('image', { created_at: created, text: 'x' }))
    const voice = message(fixtureWith('voice', { created_at: created, text: 'x' }))
    const otherImage = message(fixtureWith('image', { created_at: created, text: 'x', data: { vfid: 1, tovfid: 2 } }))
    assert.notEqual(dedupKey(image), dedupKey(voice))
    assert.notEqual(dedupKey(image), dedupKey(otherImage))
  })

  test('a different created_at or sender gives a different key', () => {
    const base = dedupKey(message(fixture('text')))
    assert.notEqual(base, dedupKey(message(fixtureWith('text', { created_at: 'Mon Jul 16 18:09:21 +0800 2012' }))))
    assert.notEqual(base, dedupKey(message(fixtureWith('text', { sender_id: 2489518278 }))))
  })

  test('a 19-digit sender keeps all its digits in the key', () => {
    const raw = fixture('text').replace('"sender_id":2489518277', '"sender_id":9223372036854775807')
    assert.ok(dedupKey(message(raw)).startsWith(`9223372036854775807|${created}|`))
  })
})

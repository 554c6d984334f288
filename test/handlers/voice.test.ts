import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { EXAMPLES_DIR, exampleKit, replyTo } from '../helpers/examples.ts'
import { fixture } from '../helpers/push.ts'

test('a voice message is acknowledged', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('voice'))
  assert.deepEqual(reply, { type: 'text', data: { text: '收到你的语音啦！客服小青会尽快收听，工作日 2 小时内回复你。' } })
})

test('voice.ts stays the example of a handler module with no import at all', () => {
  const source = readFileSync(path.join(EXAMPLES_DIR, 'voice.ts'), 'utf8')
  assert.doesNotMatch(source, /^\s*import\b/m)
  assert.doesNotMatch(source, /\brequire\(|\bimport\(/)
})

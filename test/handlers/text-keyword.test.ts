import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exampleKit, replyTo } from '../helpers/examples.ts'
import { decodePassive, fixtureWith } from '../helpers/push.ts'

const HELP_HINT = /回复「帮助」/

test('greetings in Chinese or English, alone or followed by more, get the welcome (RegExp match)', async (t) => {
  const kit = await exampleKit(t)
  for (const greeting of ['你好', '您好，请问几点开门', 'Hello!', 'hi']) {
    const reply = await replyTo(kit, fixtureWith('text', { text: greeting }))
    assert.equal(reply.type, 'text', greeting)
    assert.match((reply.data as { text: string }).text, /^你好呀，欢迎来到青柚茶饮/, greeting)
  }
})

test('the passive reply goes from our account to the fan', async (t) => {
  const kit = await exampleKit(t)
  const result = await kit.sendRaw(fixtureWith('text', { text: '你好' }))
  const reply = decodePassive(result.tries[0]?.body ?? '')
  assert.equal(reply.sender_id, '1902538057')
  assert.equal(reply.receiver_id, '2489518277')
})

test('a word that only starts like "hi" is not a greeting', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixtureWith('text', { text: 'history' }))
  assert.match((reply.data as { text: string }).text, HELP_HINT)
})

test('帮助, help and a lone question mark get the help text', async (t) => {
  const kit = await exampleKit(t)
  for (const ask of ['帮助', ' HELP ', '？', '?']) {
    const reply = await replyTo(kit, fixtureWith('text', { text: ask }))
    assert.equal(reply.type, 'text', ask)
    assert.match((reply.data as { text: string }).text, /^你可以这样找我：\n· 回复「活动」/, ask)
  }
})

test('"帮助" inside a sentence is not the help command', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixtureWith('text', { text: '需要帮助吗' }))
  assert.match((reply.data as { text: string }).text, HELP_HINT)
})

test('活动 gets an articles reply with one article (exact-string match)', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixtureWith('text', { text: '活动' }))
  assert.equal(reply.type, 'articles')
  assert.deepEqual(reply.data, {
    articles: [{
      display_name: '青柚夏日季 · 第二杯半价',
      summary: '7 月 1 日至 31 日，全国门店指定饮品第二杯半价，会员积分翻倍。',
      image: 'https://example.com/qingyou/summer.jpg',
      url: 'https://example.com/qingyou/summer'
    }]
  })
})

test('an exact-string match takes nothing but the exact text', async (t) => {
  const kit = await exampleKit(t)
  for (const near of ['活动呢', ' 活动', '最近有活动吗']) {
    const reply = await replyTo(kit, fixtureWith('text', { text: near }))
    assert.equal(reply.type, 'text', near)
    assert.match((reply.data as { text: string }).text, HELP_HINT, near)
  }
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exampleKit, replyTo } from '../helpers/examples.ts'
import { fixture, fixtureWith } from '../helpers/push.ts'

test('a position gets a text naming its coordinates and the nearest shop', async (t) => {
  const kit = await exampleKit(t)
  const reply = await replyTo(kit, fixture('position'))
  assert.equal(reply.type, 'text')
  assert.equal((reply.data as { text: string }).text,
    '收到你的位置（经度 116.308586，纬度 39.982525）。离你最近的是青柚中关村店，步行约 8 分钟，营业时间 8:00–22:00。')
})

test('coordinates are passed on digit for digit, whether Weibo sent strings or numbers', async (t) => {
  const kit = await exampleKit(t)
  const strings = await replyTo(kit, fixtureWith('position', { data: { longitude: '121.473700', latitude: '31.230400' } }))
  assert.match((strings.data as { text: string }).text, /经度 121\.473700，纬度 31\.230400/)
  const numbers = await replyTo(kit, fixtureWith('position', { data: { longitude: -0.1276, latitude: 51.5072 } }))
  assert.match((numbers.data as { text: string }).text, /经度 -0\.1276，纬度 51\.5072/)
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readPush } from '../../src/push-reader.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_FAN_ID, formatWeiboDate, makePush, parseWeiboDate, pushToJson, type PushSpec } from '../../src/simulator/push-factory.ts'

describe('Weibo dates', () => {
  test('created_at is written in Beijing time, in Weibo\'s format', () => {
    assert.equal(formatWeiboDate(new Date(Date.UTC(2012, 6, 16, 10, 9, 20))), 'Mon Jul 16 18:09:20 +0800 2012')
    assert.equal(formatWeiboDate(new Date(Date.UTC(2026, 0, 1, 16, 0, 5))), 'Fri Jan 02 00:00:05 +0800 2026')
  })

  test('parses back to the same instant, honouring the offset; anything else is undefined', () => {
    assert.equal(parseWeiboDate('Mon Jul 16 18:09:20 +0800 2012')?.toISOString(), '2012-07-16T10:09:20.000Z')
    assert.equal(parseWeiboDate('Mon Jul 16 18:09:20 -0130 2012')?.toISOString(), '2012-07-16T19:39:20.000Z')
    for (const bad of ['2012-07-16T10:09:20Z', 'Mon Foo 16 18:09:20 +0800 2012', '']) assert.equal(parseWeiboDate(bad), undefined, bad)
  })
})

describe('makePush', () => {
  const specs: PushSpec[] = [
    { type: 'text', text: '你好' },
    { type: 'position' },
    { type: 'voice' },
    { type: 'image' },
    ...(['follow', 'unfollow', 'subscribe', 'unsubscribe', 'scan', 'scan_follow', 'click', 'view'] as const).map((subtype) => ({ type: 'event' as const, subtype })),
    { type: 'mention', subtype: 'status' },
    { type: 'mention', subtype: 'comment' }
  ]

  for (const spec of specs) {
    test(`a ${spec.type}${spec.subtype === undefined ? '' : `:${spec.subtype}`} push is one our server (and Weibo's format) accepts`, () => {
      const reading = readPush(pushToJson(makePush(spec)))
      assert.equal(reading.kind, 'message')
      if (reading.kind !== 'message') return
      assert.equal(reading.message.type, spec.type)
      assert.equal(reading.message.sender_id, DEFAULT_FAN_ID)
      assert.equal(reading.message.receiver_id, DEFAULT_ACCOUNT_ID)
      if (spec.subtype !== undefined) assert.equal((reading.message.data as { subtype?: string }).subtype, spec.subtype)
    })
  }

  test('scan pushes carry a QR key and ticket, click a menu key, and given values win', () => {
    assert.deepEqual(makePush({ type: 'event', subtype: 'scan' }).data, { subtype: 'scan', key: 'QR_SCENE_1', ticket: 'SIMULATED_TICKET' })
    assert.deepEqual(makePush({ type: 'event', subtype: 'click', key: 'get_groupon' }).data, { subtype: 'click', key: 'get_groupon' })
    assert.deepEqual(makePush({ type: 'position', latitude: '31.2', longitude: '121.5' }).data, { longitude: '121.5', latitude: '31.2' })
  })

  test('ids are written as bare JSON numbers, 64-bit ones digit for digit', () => {
    const json = pushToJson(makePush({ type: 'voice', senderId: '9223372036854775807', tovfid: '12345678901234567' }))
    assert.match(json, /"sender_id":9223372036854775807,/)
    assert.match(json, /"tovfid":12345678901234567\b/)
    assert.match(json, /"receiver_id":1902538057,/)
  })

  test('unknown types and subtypes are refused with the list of valid ones', () => {
    assert.throws(() => makePush({ type: 'gift' as never }), /unknown push type "gift"; use one of text, position/)
    assert.throws(() => makePush({ type: 'event', subtype: 'like' }), /unknown event subtype "like"; use one of follow/)
    assert.throws(() => makePush({ type: 'mention', subtype: 'repost' }), /unknown mention subtype "repost"; use one of status, comment/)
  })
})

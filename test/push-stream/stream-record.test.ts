import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isFanbotError } from '../../src/errors.ts'
import { parseStreamRecord, recordIdOf } from '../../src/push-stream/stream-record.ts'
import { isIpLimited, readStreamError } from '../../src/push-stream/stream-error.ts'
import { recordLine } from '../helpers/push-stream.ts'

function invalidDetail (line: string): string {
  try {
    parseStreamRecord(line)
  } catch (error) {
    assert.ok(isFanbotError(error, 'WEIBO_ERR_STREAM_RECORD_INVALID'), `expected WEIBO_ERR_STREAM_RECORD_INVALID, got ${String(error)}`)
    return error.message
  }
  assert.fail(`parsed: ${line}`)
}

describe('parseStreamRecord', () => {
  test('reads the documented record, ids as exact decimal strings, past 2^53 too', () => {
    const record = parseStreamRecord(recordLine('4404160103598340123', { statusId: '4700057402482222789' }).trim())
    assert.equal(record.id, '4404160103598340123')
    assert.equal(record.text.type, 'status')
    assert.equal(record.text.event, 'add')
    assert.equal(record.text.status?.id, '4700057402482222789')
    assert.equal(record.text.status?.text, 'hello')
    assert.equal(record.text.status?.user?.id, '2084126291')
    assert.deepEqual(record.text.status?.mentions, ['2084126292'])
    assert.deepEqual(record.match_info, { keyword: 'k', uid: '0' })
  })

  test('keeps fields Weibo adds, at every level', () => {
    const record = parseStreamRecord('{"id":1,"new_top":true,"text":{"type":"status","event":"add","extra":1,"status":{"id":2,"text":"t","source_id":780}},"match_info":{"keyword":"k","rule":7}}')
    assert.equal(record.new_top, true)
    assert.equal(record.text.extra, 1)
    assert.equal(record.text.status?.source_id, 780)
    assert.equal(record.match_info?.rule, 7)
  })

  test('a comment record; a record without match_info', () => {
    const record = parseStreamRecord('{"id":"5","text":{"type":"comment","event":"add","comment":{"id":6,"text":"nice","user":{"id":7},"status":{"id":8}}}}')
    assert.equal(record.id, '5')
    assert.equal(record.text.comment?.status?.id, '8')
    assert.equal(record.match_info, undefined)
  })

  test('a missing event is read as add; other events and types are kept for the consumer', () => {
    assert.equal(parseStreamRecord('{"id":1,"text":{"type":"status","status":{"id":2,"text":"t"}}}').text.event, 'add')
    assert.equal(parseStreamRecord('{"id":1,"text":{"type":"status","event":"delete"}}').text.event, 'delete')
    assert.equal(parseStreamRecord('{"id":1,"text":{"type":"article","event":"add","article":{}}}').text.type, 'article')
  })

  test('says what is wrong with a bad record', () => {
    assert.match(invalidDetail('{"id":1,"text":{"ty'), /not JSON/)
    assert.match(invalidDetail('[1,2]'), /expected object/i)
    assert.match(invalidDetail('{"text":{"type":"status","status":{"id":2,"text":"t"}}}'), /id/)
    assert.match(invalidDetail('{"id":-3,"text":{"type":"status","status":{"id":2,"text":"t"}}}'), /id/)
    assert.match(invalidDetail('{"id":1,"text":{"type":"","status":{"id":2,"text":"t"}}}'), /type/)
    assert.match(invalidDetail('{"id":1,"text":{"type":"status","event":"add"}}'), /must carry text\.status/)
    assert.match(invalidDetail('{"id":1,"text":{"type":"status","status":{"id":2}}}'), /status\.text/)
    assert.match(invalidDetail('{"id":1,"text":{"type":"status","status":{"id":2,"text":"t"}},"match_info":{"uid":"x"}}'), /match_info\.uid/)
  })
})

describe('recordIdOf', () => {
  test('reads a leading id from a line that is not JSON', () => {
    assert.equal(recordIdOf('{"id":4404160103598340123,"text":{"type":'), '4404160103598340123')
    assert.equal(recordIdOf(' { "id" : "77" , broken'), '77')
  })

  test('never a shorter id from a line cut inside the number', () => {
    assert.equal(recordIdOf('{"id":44041601'), undefined)
  })

  test('reads the id of valid JSON that is not a valid record, wherever it is', () => {
    assert.equal(recordIdOf('{"text":{},"id":4404160103598340123}'), '4404160103598340123')
    assert.equal(recordIdOf('{"text":{},"id":12}'), '12')
  })

  test('undefined when there is no readable id', () => {
    assert.equal(recordIdOf('not json'), undefined)
    assert.equal(recordIdOf('{"text":{}}'), undefined)
    assert.equal(recordIdOf('{"id":"abc"}'), undefined)
    assert.equal(recordIdOf('42'), undefined)
  })
})

describe('readStreamError', () => {
  test('reads Weibo\'s error JSON and spots "Ip is limited"', () => {
    const body = readStreamError('{"request":"/commercial/push","error_code":"10004","error":"Ip is limited"}')
    assert.deepEqual(body, { errorCode: 10004, error: 'Ip is limited' })
    assert.ok(body !== undefined && isIpLimited(body))
    assert.ok(isIpLimited({ errorCode: undefined, error: 'IP IS LIMITED!' }))
    assert.ok(!isIpLimited({ errorCode: 10001, error: 'system error' }))
  })

  test('a record or anything else is not an error', () => {
    assert.equal(readStreamError(recordLine('1')), undefined)
    assert.equal(readStreamError('{"id":1,"error":"x"}'), undefined)
    assert.equal(readStreamError('<html>'), undefined)
    assert.equal(readStreamError('{"a":1}'), undefined)
  })
})

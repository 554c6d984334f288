import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { splitRecords, type SplitLine, type SplitRecordsOptions } from '../../src/push-stream/record-splitter.ts'
import { chunksOf } from '../helpers/push-stream.ts'

async function split (chunks: Array<string | Uint8Array>, options?: SplitRecordsOptions): Promise<SplitLine[]> {
  const items: SplitLine[] = []
  for await (const item of splitRecords(chunksOf(...chunks), options)) items.push(item)
  return items
}

async function lines (chunks: Array<string | Uint8Array>, options?: SplitRecordsOptions): Promise<string[]> {
  return (await split(chunks, options)).map((item) => item.kind === 'line' ? item.line : `<oversize ${item.bytes}>`)
}

describe('splitRecords', () => {
  test('a record split mid-line and mid-character across chunks comes out whole', async () => {
    const bytes = Buffer.from('{"text":"微博"}\r\n', 'utf8')
    const cut = bytes.indexOf(Buffer.from('博', 'utf8')) + 1 // inside the 3-byte character
    assert.deepEqual(await lines([bytes.subarray(0, 5), bytes.subarray(5, cut), bytes.subarray(cut)]), ['{"text":"微博"}'])
  })

  test('every byte in its own chunk still gives the same records', async () => {
    const bytes = Buffer.from('{"a":"ü€𝄞"}\r\n{"b":2}\r\n', 'utf8')
    const oneByEach = [...bytes].map((byte) => Uint8Array.of(byte))
    assert.deepEqual(await lines(oneByEach), ['{"a":"ü€𝄞"}', '{"b":2}'])
  })

  test('a CRLF split between chunks (\\r | \\n) leaves no stray CR', async () => {
    assert.deepEqual(await lines(['{"a":1}\r', '\n{"b":2}\r', '\n']), ['{"a":1}', '{"b":2}'])
  })

  test('several records in one chunk; empty and blank lines skipped; a bare LF tolerated', async () => {
    assert.deepEqual(await lines(['\r\n{"a":1}\r\n\r\n  \r\n{"b":2}\n\n{"c":3}\r\n']), ['{"a":1}', '{"b":2}', '{"c":3}'])
  })

  test('an oversize line is dropped up to its line break, reported once, and the next record comes through', async () => {
    const long = `{"id":42,"text":"${'x'.repeat(300)}"}`
    const items = await split([long.slice(0, 100), long.slice(100, 250), `${long.slice(250)}\r\n{"id":43}\r\n`], { maxLineBytes: 64, headBytes: 16 })
    assert.equal(items.length, 2)
    const [dropped, next] = items
    assert.equal(dropped?.kind, 'oversize')
    if (dropped?.kind === 'oversize') {
      assert.equal(dropped.bytes, long.length + 1, 'its size, the CR before the LF included')
      assert.equal(dropped.head, long.slice(0, 16), 'the first bytes are kept, to read its id')
    }
    assert.deepEqual(next, { kind: 'line', line: '{"id":43}', terminated: true })
  })

  test('a line of exactly the limit is kept', async () => {
    assert.deepEqual(await lines(['12345678\r\n'], { maxLineBytes: 9 }), ['12345678'], 'the limit counts the CR')
  })

  test('a last line without its line break is handed over, marked unterminated', async () => {
    assert.deepEqual(await split(['{"a":1}\r\n{"b":', '2}']), [
      { kind: 'line', line: '{"a":1}', terminated: true },
      { kind: 'line', line: '{"b":2}', terminated: false }
    ])
  })

  test('an empty stream or one of blank lines gives nothing', async () => {
    assert.deepEqual(await split([]), [])
    assert.deepEqual(await split(['\r\n', '\r', '\n  ']), [])
  })

  test('reads a chunk only when asked for the next line (backpressure reaches the socket)', async () => {
    let pulled = 0
    async function * source (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 10; i++) {
        pulled++
        yield Buffer.from(`{"n":${i}}\r\n`)
      }
    }
    const iterator = splitRecords(source())
    await iterator.next()
    await iterator.next()
    assert.equal(pulled, 2)
    await iterator.return(undefined)
  })
})

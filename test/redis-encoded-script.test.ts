/**
 * The batches' commands are encoded by hand (src/redis-encoded-script.ts): the bytes must be exactly the RESP that
 * Redis reads, for any text (multi-byte UTF-8, empty, lengths across a digit boundary), and a real Redis must get
 * back every value as it was sent.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { encodeCommand, encodedScript, runEncodedScript } from '../src/redis-encoded-script.ts'
import { redisUrl, skipWithoutRedis } from './helpers/redis.ts'

/** RESP as the protocol defines it, built the plain way. */
function reference (values: ReadonlyArray<string | number>): Buffer {
  const parts = [Buffer.from(`*${values.length}\r\n`)]
  for (const value of values) {
    const bytes = Buffer.from(String(value), 'utf8')
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

test('a command is encoded exactly as RESP, for any keys and arguments', () => {
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ minLength: 95, maxLength: 120 }))
  const value = fc.oneof(text, fc.nat(), fc.integer({ min: 0, max: 10_000_000_000 }))
  fc.assert(fc.property(text, fc.array(text, { maxLength: 30 }), fc.array(value, { maxLength: 30 }), (head, keys, args) => {
    assert.deepEqual(encodeCommand('evalsha', head, keys, args), reference(['evalsha', head, keys.length, ...keys, ...args]))
  }), { numRuns: 2000 })
  // Lengths on each side of a digit boundary, in the count and in a value's bytes.
  for (const size of [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000]) {
    const keys = Array.from({ length: size }, (_, index) => 'é'.repeat(index % 7))
    assert.deepEqual(encodeCommand('eval', 'x'.repeat(size), keys, [size, '']), reference(['eval', 'x'.repeat(size), size, ...keys, size, '']))
  }
})

test('Redis gets every key and argument as it was sent, and the first use of a socket loads the script', { skip: skipWithoutRedis }, async (t) => {
  const redis = new Redis(redisUrl() as string, { maxRetriesPerRequest: 1 })
  t.after(() => { redis.disconnect() })
  const echo = encodedScript('local out = {} for i, key in ipairs(KEYS) do out[i] = key end for _, arg in ipairs(ARGV) do out[#out + 1] = arg end return out')
  await redis.ping()
  // What goes on the wire: the command's name, from each write.
  const sent: string[] = []
  const write = redis.stream.write.bind(redis.stream)
  redis.stream.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
    sent.push(/\$\d+\r\n(\w+)\r\n/.exec(chunk.toString())?.[1] ?? '?')
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest)
  }) as typeof redis.stream.write
  const keys = ['fanbot:dedup:1902538057|5000000050|Tue Dec 01 08:00:50 +0800 2026|iPy--ejxUfEKxsK5', '粉丝:😀', '']
  const args = ['你好 ok', 60000, '{"result":true,"text":"%E4%BD%A0"}', '']
  assert.deepEqual(await runEncodedScript(redis, echo, keys, args), [...keys, ...args.map(String)])
  assert.deepEqual(await runEncodedScript(redis, echo, ['a'], []), ['a'])
  assert.deepEqual(sent, ['eval', 'evalsha'], 'the text once, then the SHA-1')
})

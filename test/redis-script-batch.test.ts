/**
 * One Lua script run for many items in one command (src/redis-script-batch.ts): what each item gets back, how errors
 * stay with their item, and how many commands a turn's items take. Commands are counted as ioredis sends them.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { createScriptBatch, MAX_ITEMS_PER_COMMAND } from '../src/redis-script-batch.ts'
import { freePort } from './helpers/ports.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, startOwnRedis, uniquePrefix } from './helpers/redis.ts'

/** The item of the test's batch: SET the key to the argument if absent, answering what it held (nil if nothing). */
const SET_NX_GET = "return redis.call('SET', KEYS[k + 1], ARGV[a + 1], 'NX', 'GET')"

function counting (redis: Redis): string[] {
  const sent: string[] = []
  const send = redis.sendCommand.bind(redis)
  redis.sendCommand = ((command: { name: string }) => { sent.push(command.name); return send(command as never) }) as typeof redis.sendCommand
  return sent
}

async function connection (t: { after: (fn: () => Promise<void>) => void }): Promise<{ redis: Redis, prefix: string, sent: string[] }> {
  const url = redisUrl() as string
  const prefix = uniquePrefix()
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  t.after(async () => { await deleteKeys(url, prefix); redis.disconnect() })
  await redis.ping()
  return { redis, prefix, sent: counting(redis) }
}

test('a script run for many items in one command', { skip: skipWithoutRedis }, async (t) => {
  await t.test('items given in one turn share one command; each gets its own reply, in order, a nil as null', async (t) => {
    const { redis, prefix, sent } = await connection(t)
    const batch = createScriptBatch(redis, { name: 'testBatchSetNxGet', keysPerItem: 1, argsPerItem: 1, item: SET_NX_GET })
    await redis.set(`${prefix}:b`, 'held')
    sent.length = 0
    const replies = await Promise.all([
      batch.run([`${prefix}:a`], ['first']),
      batch.run([`${prefix}:b`], ['second']),
      batch.run([`${prefix}:a`], ['third']) // after the first item, in the same script run: sees its write
    ])
    assert.deepEqual(replies, [null, 'held', 'first'])
    assert.deepEqual(sent, ['evalsha'], 'one command for the three')
    assert.equal(await redis.get(`${prefix}:a`), 'first')
  })

  await t.test('items of later turns go in commands of their own', async (t) => {
    const { redis, prefix, sent } = await connection(t)
    const batch = createScriptBatch(redis, { name: 'testBatchSetNxGet', keysPerItem: 1, argsPerItem: 1, item: SET_NX_GET })
    const first = batch.run([`${prefix}:a`], ['1'])
    await nextTurn()
    const second = batch.run([`${prefix}:b`], ['2'])
    assert.deepEqual(await Promise.all([first, second]), [null, null])
    assert.equal(sent.filter((name) => name.startsWith('eval')).length, 2)
  })

  await t.test("an item's error is its own: the others in the command are answered", async (t) => {
    const { redis, prefix } = await connection(t)
    const batch = createScriptBatch(redis, { name: 'testBatchSetNxGet', keysPerItem: 1, argsPerItem: 1, item: SET_NX_GET })
    await redis.hset(`${prefix}:hash`, 'field', 'value') // SET … GET on a hash: WRONGTYPE
    const [before, wrong, after] = await Promise.allSettled([
      batch.run([`${prefix}:a`], ['1']),
      batch.run([`${prefix}:hash`], ['2']),
      batch.run([`${prefix}:c`], ['3'])
    ])
    assert.deepEqual(before, { status: 'fulfilled', value: null })
    assert.equal(wrong.status, 'rejected')
    assert.match(String((wrong as PromiseRejectedResult).reason), /WRONGTYPE/)
    assert.deepEqual(after, { status: 'fulfilled', value: null })
    assert.equal(await redis.get(`${prefix}:c`), '3', 'the item after the error ran')
    // A Lua error raised by the item itself (not by Redis) stays with it as well.
    const raising = createScriptBatch(redis, { name: 'testBatchRaising', keysPerItem: 1, argsPerItem: 1, item: "if ARGV[a + 1] == 'bad' then error('refused ' .. KEYS[k + 1]) end return ARGV[a + 1]" })
    const results = await Promise.allSettled([raising.run([`${prefix}:x`], ['good']), raising.run([`${prefix}:y`], ['bad'])])
    assert.deepEqual(results[0], { status: 'fulfilled', value: 'good' })
    assert.match(String((results[1] as PromiseRejectedResult).reason), new RegExp(`refused ${prefix}:y`))
  })

  await t.test('a command that fails fails every item in it', async (t) => {
    const { redis, prefix } = await connection(t)
    const batch = createScriptBatch(redis, { name: 'testBatchSetNxGet', keysPerItem: 1, argsPerItem: 1, item: SET_NX_GET })
    const items = [batch.run([`${prefix}:a`], ['1']), batch.run([`${prefix}:b`], ['2'])]
    redis.disconnect() // before the turn ends: the command goes to a closed connection
    const results = await Promise.allSettled(items)
    assert.deepEqual(results.map((result) => result.status), ['rejected', 'rejected'])
  })

  await t.test('an item sent without a promise runs in the same command; its error, or its command\'s, goes to its onError', async (t) => {
    const { redis, prefix, sent } = await connection(t)
    const batch = createScriptBatch(redis, { name: 'testBatchSetNxGet', keysPerItem: 1, argsPerItem: 1, item: SET_NX_GET })
    await redis.hset(`${prefix}:hash`, 'field', 'value')
    sent.length = 0
    const errors: string[] = []
    batch.send([`${prefix}:sent`], ['kept'], (error) => { errors.push(`sent: ${String(error)}`) })
    batch.send([`${prefix}:hash`], ['x'], (error) => { errors.push(`hash: ${String(error)}`) })
    batch.send(['a', 'b'], ['x'], (error) => { errors.push(`shape: ${String(error)}`) })
    assert.equal(await batch.run([`${prefix}:sent`], ['second']), 'kept', 'the item sent first, in the same command, ran first')
    assert.deepEqual(sent, ['evalsha'])
    assert.equal(errors.length, 2)
    assert.match(errors[0] ?? '', /^shape: .*an item takes 1 keys and 1 arguments/, 'an item of the wrong shape is refused at once')
    assert.match(errors[1] ?? '', /^hash: .*WRONGTYPE/)
    // The command itself fails (the connection closed before the turn ended): every item's onError is told.
    batch.send([`${prefix}:x`], ['1'], (error) => { errors.push(`closed: ${String(error)}`) })
    batch.send([`${prefix}:y`], ['2'], (error) => { errors.push(`closed: ${String(error)}`) })
    redis.disconnect()
    const closed = (): number => errors.filter((error) => error.startsWith('closed: ')).length
    for (const deadline = Date.now() + 2000; closed() < 2 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.equal(closed(), 2)
  })

  await t.test('a command that throws as it is made fails its items, and the batch goes on with the next turn', async (t) => {
    const { redis, prefix } = await connection(t)
    const batch = createScriptBatch(redis, { name: 'testBatchThrowing', keysPerItem: 1, argsPerItem: 1, item: SET_NX_GET })
    const real = redis.sendCommand
    redis.sendCommand = () => { throw new Error('thrown while making the command') }
    const failed = await Promise.allSettled([batch.run([`${prefix}:a`], ['1']), batch.run([`${prefix}:b`], ['2'])])
    assert.deepEqual(failed.map((result) => result.status), ['rejected', 'rejected'])
    redis.sendCommand = real
    assert.deepEqual(await Promise.all([batch.run([`${prefix}:a`], ['3']), batch.run([`${prefix}:b`], ['4'])]), [null, null])
  })

  await t.test(`more than ${MAX_ITEMS_PER_COMMAND} items in one turn are split, and every one is answered`, async (t) => {
    const { redis, prefix, sent } = await connection(t)
    const batch = createScriptBatch(redis, { name: 'testBatchSetNxGet', keysPerItem: 1, argsPerItem: 1, item: SET_NX_GET })
    const count = MAX_ITEMS_PER_COMMAND * 2 + 5
    const replies = await Promise.all(Array.from({ length: count }, async (_, index) => await batch.run([`${prefix}:${index % 300}`], [String(index)])))
    assert.deepEqual(replies, Array.from({ length: count }, () => null))
    assert.equal(sent.filter((name) => name.startsWith('eval')).length, 3)
    assert.equal(await redis.get(`${prefix}:${count - 1}`), String(count - 1))
  })

  await t.test('a script flushed from Redis is loaded again (NOSCRIPT), and the items are answered', async (t) => {
    // On a redis-server of its own: SCRIPT FLUSH on the shared one would make other tests' scripts load again.
    const own = await startOwnRedis(await freePort())
    t.after(async () => { await own.stop() })
    const redis = new Redis(own.url, { maxRetriesPerRequest: 1 })
    t.after(() => { redis.disconnect() })
    const prefix = 'flushed'
    const batch = createScriptBatch(redis, { name: 'testBatchFlushed', keysPerItem: 1, argsPerItem: 1, item: "return 'x' .. ARGV[a + 1]" })
    assert.equal(await batch.run([`${prefix}:a`], ['1']), 'x1')
    // Another client flushes the scripts: this connection still thinks its script is loaded.
    const other = new Redis(own.url)
    t.after(() => { other.disconnect() })
    await other.script('FLUSH')
    assert.deepEqual(await Promise.all([batch.run([`${prefix}:a`], ['2']), batch.run([`${prefix}:b`], ['3'])]), ['x2', 'x3'])
  })

  await t.test('an item of the wrong shape is refused at once, naming the shape; so is a batch defined with no key or a fraction of an argument per item', async (t) => {
    const { redis } = await connection(t)
    const batch = createScriptBatch(redis, { name: 'testBatchSetNxGet', keysPerItem: 1, argsPerItem: 1, item: SET_NX_GET })
    await assert.rejects(batch.run(['a', 'b'], ['1']), /testBatchSetNxGet: an item takes 1 keys and 1 arguments/)
    assert.throws(() => createScriptBatch(redis, { name: 'testBatchNoKeys', keysPerItem: 0, argsPerItem: 1, item: 'return 1' }),
      /createScriptBatch\(testBatchNoKeys\): an item takes a whole number of keys \(one or more\)/)
    assert.throws(() => createScriptBatch(redis, { name: 'testBatchHalfArgs', keysPerItem: 1, argsPerItem: 0.5, item: 'return 1' }), /testBatchHalfArgs/)
  })
})

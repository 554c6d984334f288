/**
 * The dedup store's subscriber connection after a reconnect: ioredis sends SUBSCRIBE again by itself
 * (autoResubscribe) and never handles that command's promise, so a Redis slow to answer it (past the fail-fast
 * command timeout, 500 ms: a loaded Redis coming back) was an unhandled rejection, which ends a Node process. Seen in
 * a full test run at load ~20; in production it is a server crash when Redis comes back under load. Here a TCP proxy
 * between the store and Redis cuts the connections, then stalls the reconnected subscriber at its SUBSCRIBE.
 */
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createServer, Socket, type Server } from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRedisDedupStore } from '../../src/dedup/redis-dedup-store.ts'
import { connectRedis, FAST_FAIL_OPTIONS, SUBSCRIBER_OPTIONS } from '../../src/storage/redis-connection.ts'
import { captureLogs } from '../helpers/logs.ts'
import { collectUnhandledRejections } from '../helpers/rejections.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

interface RedisProxy {
  url: string
  /** Closes every connection through the proxy (clients reconnect). */
  cut: () => void
  /**
   * Stalls a connection at its first SUBSCRIBE: from that command on, what its client sends waits in the proxy
   * (Redis neither sees nor answers it), as on a Redis too loaded to read, until `release()` sends it on, in order.
   */
  stallSubscribe: boolean
  /** SUBSCRIBE commands held so far. */
  held: number
  release: () => void
  close: () => Promise<void>
}

async function redisProxy (target: URL): Promise<RedisProxy> {
  const sockets = new Set<Socket>()
  const stalled = new Map<Socket, Buffer[]>()
  const server: Server = createServer((client) => {
    const upstream = new Socket()
    upstream.connect(Number(target.port), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => { sockets.delete(socket); stalled.delete(upstream); client.destroy(); upstream.destroy() })
    }
    client.on('data', (chunk: Buffer) => {
      const subscribe = /\bSUBSCRIBE\b/i.test(chunk.toString('latin1'))
      if (subscribe && proxy.stallSubscribe) proxy.held++
      const waiting = stalled.get(upstream) ?? (subscribe && proxy.stallSubscribe ? [] : undefined)
      if (waiting === undefined) { upstream.write(chunk); return }
      waiting.push(chunk)
      stalled.set(upstream, waiting)
    })
    upstream.on('data', (chunk: Buffer) => { client.write(chunk) })
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  const proxy: RedisProxy = {
    url: `redis://127.0.0.1:${address.port}`,
    cut () { for (const socket of sockets) socket.destroy() },
    stallSubscribe: false,
    held: 0,
    release () {
      proxy.stallSubscribe = false
      for (const [upstream, chunks] of stalled) for (const chunk of chunks) upstream.write(chunk)
      stalled.clear()
    },
    async close () {
      proxy.cut()
      await new Promise((resolve) => server.close(resolve))
    }
  }
  return proxy
}

/** Subscribers of `channel` on the shared Redis, as Redis counts them. */
async function subscribers (redis: Redis, channel: string): Promise<number> {
  const [, count] = await redis.pubsub('NUMSUB', channel) as [string, number]
  return Number(count)
}

/** Polls `check` every 20 ms until it holds, failing after `ms` (a loaded machine: generous). */
async function until (what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const started = Date.now()
  while (!await check()) {
    assert.ok(Date.now() - started < ms, `${what} within ${ms} ms`)
    await sleep(20)
  }
}

test('a reconnected subscriber whose SUBSCRIBE is not answered in time leaves no unhandled rejection, subscribes again, and joiners get the answer on the channel', { skip: skipWithoutRedis }, async (t) => {
  const rejections = collectUnhandledRejections(t)
  // One hook, so the order is ours: the stores quit their connections while the proxy still carries them (a
  // connection closed under ioredis holds the process 2 s more), then the proxy.
  const closers: Array<() => Promise<void>> = []
  t.after(async () => { for (const close of closers.reverse()) await close() })
  const url = redisUrl() ?? ''
  const proxy = await redisProxy(new URL(url))
  closers.push(proxy.close)
  const logs = captureLogs('info')
  const prefix = uniquePrefix()
  const channel = `${prefix}:dedup-answers`
  closers.push(async () => { await deleteKeys(url, prefix) })
  const admin = new Redis(url, { maxRetriesPerRequest: 1 })
  closers.push(async () => { admin.disconnect() })
  // Commands with a patient timeout (a claim on a loaded test machine must not fall back to "owner"); the
  // subscriber with the server's own fail-fast options, whose 500 ms the held SUBSCRIBE runs past.
  const patient = { ...FAST_FAIL_OPTIONS, commandTimeout: 10_000 }
  const redis = await connectRedis({ url: proxy.url, logger: logs.logger, name: 'test-dedup', options: patient })
  const subscriber = await connectRedis({ url: proxy.url, logger: logs.logger, name: 'test-dedup-sub', options: SUBSCRIBER_OPTIONS })
  // maxWaitMs and pollMs far past the test: a joiner that got an answer heard it on the channel.
  const store = createRedisDedupStore({ redis, subscriber, logger: logs.logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: 60_000, pollMs: 60_000 })
  closers.push(store.close)
  await until('the first subscription', async () => await subscribers(admin, channel) === 1)

  proxy.stallSubscribe = true
  proxy.cut()
  // Reconnected (both connections ready again), its SUBSCRIBE held past the 500 ms command timeout: ioredis's own
  // re-subscribe would have been an unhandled rejection here.
  await until('the reconnect and a held SUBSCRIBE', () => proxy.held > 0 && redis.status === 'ready' && subscriber.status === 'ready')
  const failed = (): number => logs.lines().filter((line) => String(line.msg).startsWith('dedup store wait failed')).length
  await until('the held SUBSCRIBE timed out and logged', () => failed() > 0)
  assert.equal(await subscribers(admin, channel), 0, 'not subscribed while Redis does not read')
  assert.deepEqual(await rejections.after(100), [], 'no unhandled rejection from the re-subscribe')

  // Redis reads again: what was held arrives, the store's next try subscribes, and the tries stop.
  proxy.release()
  await until('subscribed again', async () => await subscribers(admin, channel) === 1)
  const failures = failed()
  await sleep(2000)
  assert.equal(failed(), failures, 'no more tries once subscribed')

  // Another replica settles a push this store's joiner waits on: the answer arrives on the channel (polling is off).
  const otherConnection = await connectRedis({ url, logger: logs.logger, name: 'test-other', options: patient })
  const otherSubscriber = await connectRedis({ url, logger: logs.logger, name: 'test-other-sub', options: SUBSCRIBER_OPTIONS })
  const other = createRedisDedupStore({ redis: otherConnection, subscriber: otherSubscriber, logger: logs.logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: 60_000 })
  closers.push(other.close)
  const owner = await other.claim('k1')
  assert.equal(owner.role, 'owner')
  const joined = await store.claim('k1')
  assert.ok(joined.role === 'joiner' && !joined.settled, 'k1 is in flight in Redis')
  if (owner.role === 'owner') owner.settle('a1')
  const heard = await Promise.race([joined.answer, sleep(10_000, 'nothing within 10 s', { ref: false })])
  assert.equal(heard, 'a1', 'the joiner heard the answer on the channel')
  assert.deepEqual(await rejections.after(100), [])
})

test('a subscriber opened with ioredis\'s own re-subscribe is refused, naming the options to use', () => {
  // Not connected (lazyConnect): the store refuses it before any command.
  const subscriber = new Redis('redis://127.0.0.1:9', { lazyConnect: true })
  const redis = new Redis('redis://127.0.0.1:9', { lazyConnect: true })
  assert.throws(
    () => createRedisDedupStore({ redis, subscriber, logger: captureLogs('info').logger, prefix: 'p', ttlMs: 1000, pendingTtlMs: 1000, maxWaitMs: 1000 }),
    /open the subscriber with SUBSCRIBER_OPTIONS \(autoResubscribe: false\)/
  )
})

/**
 * The dedup store's subscriber connection after a reconnect: ioredis sends SUBSCRIBE again by itself
 * (autoResubscribe) and never handles that command's promise, so a Redis slow to answer it (past the fail-fast
 * command timeout, 500 ms: a loaded Redis coming back) was an unhandled rejection, which ends a Node process. Seen in
 * a full test run at load ~20; in production it is a server crash when Redis comes back under load. Here a TCP proxy
 * between the store and Redis cuts the connections, then holds back the SUBSCRIBE of the reconnected subscriber.
 */
import assert from 'node:assert/strict'
import { createServer, Socket, type Server } from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRedisDedupStore } from '../../src/dedup/redis-dedup-store.ts'
import { connectRedis, SUBSCRIBER_OPTIONS } from '../../src/storage/redis-connection.ts'
import { captureLogs } from '../helpers/logs.ts'
import { collectUnhandledRejections } from '../helpers/rejections.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

interface RedisProxy {
  url: string
  /** Closes every connection through the proxy (clients reconnect). */
  cut: () => void
  /** While true, client bytes holding a SUBSCRIBE command are dropped: Redis never sees it, so never answers. */
  holdSubscribe: boolean
  /** SUBSCRIBE commands dropped so far. */
  held: number
  close: () => Promise<void>
}

async function redisProxy (target: URL): Promise<RedisProxy> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = new Socket()
    upstream.connect(Number(target.port), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => { sockets.delete(socket); client.destroy(); upstream.destroy() })
    }
    client.on('data', (chunk: Buffer) => {
      if (proxy.holdSubscribe && /\bSUBSCRIBE\b/i.test(chunk.toString('latin1'))) { proxy.held++; return }
      upstream.write(chunk)
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
    holdSubscribe: false,
    held: 0,
    async close () {
      proxy.cut()
      await new Promise((resolve) => server.close(resolve))
    }
  }
  return proxy
}

test('a reconnected subscriber whose SUBSCRIBE goes unanswered leaves no unhandled rejection, subscribes again, and joiners still get the answer', { skip: skipWithoutRedis }, async (t) => {
  const rejections = collectUnhandledRejections(t)
  // One hook, so the order is ours: the stores quit their connections while the proxy still carries them (a
  // connection closed under ioredis holds the process 2 s more), then the proxy.
  const closers: Array<() => Promise<void>> = []
  t.after(async () => { for (const close of closers.reverse()) await close() })
  const proxy = await redisProxy(new URL(redisUrl() ?? ''))
  closers.push(proxy.close)
  const logs = captureLogs('info')
  const prefix = uniquePrefix()
  closers.push(async () => { await deleteKeys(redisUrl() ?? '', prefix) })
  const redis = await connectRedis({ url: proxy.url, logger: logs.logger, name: 'test-dedup' })
  const subscriber = await connectRedis({ url: proxy.url, logger: logs.logger, name: 'test-dedup-sub', options: SUBSCRIBER_OPTIONS })
  // maxWaitMs far past the test: a joiner that got an answer got it from the store, not from giving up.
  const store = createRedisDedupStore({ redis, subscriber, logger: logs.logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: 60_000, pollMs: 60_000 })
  closers.push(store.close)
  // The first subscription is up before the cut.
  const first = await store.claim('k0')
  assert.equal(first.role, 'owner')
  const joiner0 = await store.claim('k0')
  assert.equal(joiner0.role, 'joiner')
  if (first.role === 'owner') first.settle('a0')
  if (joiner0.role === 'joiner') assert.equal(await joiner0.answer, 'a0')

  proxy.holdSubscribe = true
  proxy.cut()
  // Reconnected (the store answers through it again), its SUBSCRIBE held past the 500 ms command timeout.
  const started = Date.now()
  while (proxy.held === 0 || redis.status !== 'ready' || subscriber.status !== 'ready') {
    assert.ok(Date.now() - started < 10_000, 'the connections came back')
    await sleep(20)
  }
  await sleep(1500)
  assert.deepEqual(await rejections.after(100), [], 'no unhandled rejection from the re-subscribe')
  assert.ok(logs.lines().some((line) => String(line.msg).startsWith('dedup store wait failed')), 'the failed subscribe is logged')

  // Redis answers again: the store subscribes again by itself. Another replica settles a push this store's joiner
  // waits on; with polling off (pollMs: a minute) the joiner hears the answer only on the channel.
  proxy.holdSubscribe = false
  const otherSubscriber = await connectRedis({ url: redisUrl() ?? '', logger: logs.logger, name: 'test-other-sub', options: SUBSCRIBER_OPTIONS })
  const other = createRedisDedupStore({ redis: await connectRedis({ url: redisUrl() ?? '', logger: logs.logger, name: 'test-other' }), subscriber: otherSubscriber, logger: logs.logger, prefix, ttlMs: 60_000, pendingTtlMs: 60_000, maxWaitMs: 60_000 })
  closers.push(other.close)
  const owner = await other.claim('k1')
  assert.equal(owner.role, 'owner')
  const joined = await store.claim('k1')
  assert.equal(joined.role, 'joiner')
  await sleep(2500) // the store's next subscribe (it tries again every second)
  if (owner.role === 'owner') owner.settle('a1')
  assert.ok(joined.role === 'joiner')
  const heard = await Promise.race([joined.answer, sleep(5000, 'nothing within 5 s', { ref: false })])
  assert.equal(heard, 'a1', 'the joiner heard the answer on the channel')
  assert.deepEqual(await rejections.after(100), [])
})

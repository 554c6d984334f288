import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { createOutboxQueue } from '../../src/outbox/outbox-queue.ts'
import { openRedis } from '../../src/storage/redis-connection.ts'
import { deadUrl } from '../helpers/cli.ts'
import { collectUnhandledRejections } from '../helpers/rejections.ts'
import { captureLogs } from '../helpers/logs.ts'

/**
 * BullMQ initialises its connection in the background and reports a failed initialisation on an emitter that closing
 * the queue has emptied of listeners: with our own (shared) connection ended after the close, that was an unhandled
 * rejection ("Stream isn't writeable …"), which kills a process that treats them as fatal. Seen when a replica was
 * replaced mid-start, and by the test runner (`failureType: 'unhandledRejection'`).
 */
test('closing the outbox queue while its Redis is not there yet leaves no unhandled rejection', async (t) => {
  const rejections = collectUnhandledRejections(t)

  const url = (await deadUrl()).replace(/^http:/, 'redis:').replace(/\/weibo$/, '')
  const logs = captureLogs()
  const connection = openRedis({ url, logger: logs.logger, name: 'test-outbox-close' })
  const queue = createOutboxQueue({ connection, prefix: 'test-close', attempts: 1, backoffMs: 10, logger: logs.logger })
  await sleep(50) // the connection is retrying; BullMQ's initialisation waits for it
  await queue.close()
  // a rejection left behind surfaces on a later turn of the event loop
  assert.deepEqual(await rejections.after(300), [])
})

test('closing the outbox queue the moment its connection is ready leaves no unhandled rejection', { skip: process.env.REDIS_URL === undefined ? 'REDIS_URL is not set' : false }, async (t) => {
  const rejections = collectUnhandledRejections(t)

  const logs = captureLogs()
  for (let round = 0; round < 20; round++) {
    const connection = openRedis({ url: process.env.REDIS_URL ?? '', logger: logs.logger, name: 'test-outbox-close' })
    // BullMQ's initialisation runs INFO right after 'ready': close in that gap, as a replica replaced mid-start does
    // (this listener comes before BullMQ's, so the close starts before its INFO is sent).
    const closed = new Promise<void>((resolve) => { connection.once('ready', () => { queue.close().then(resolve, resolve) }) })
    const queue = createOutboxQueue({ connection, prefix: `test-close-${round}`, attempts: 1, backoffMs: 10, logger: logs.logger })
    await closed
  }
  assert.deepEqual(await rejections.after(300), [])
})

test('closing the outbox queue while its connection is in the ready check leaves no unhandled rejection', { skip: process.env.REDIS_URL === undefined ? 'REDIS_URL is not set' : false }, async (t) => {
  const rejections = collectUnhandledRejections(t)

  const logs = captureLogs()
  for (let round = 0; round < 20; round++) {
    // 'connect' comes before ioredis's own ready check (INFO) is answered. Ending the connection then does not stop
    // that answer from arriving: ioredis still emits 'ready', BullMQ's initialisation sends its INFO on a stream that
    // is ending, and the refusal ("Stream isn't writeable …") used to surface after the close had removed BullMQ's
    // listeners: 15 rounds in 20 before the fix (taskforcesh/bullmq#3546).
    const connection = openRedis({ url: process.env.REDIS_URL ?? '', logger: logs.logger, name: 'test-outbox-close' })
    const queue = createOutboxQueue({ connection, prefix: `test-close-connect-${round}`, attempts: 1, backoffMs: 10, logger: logs.logger })
    await new Promise((resolve) => connection.once('connect', resolve))
    await queue.close()
  }
  assert.deepEqual(await rejections.after(300), [])
})

/**
 * A Redis that accepts connections and answers its first commands (ioredis's CLIENT SETNAME and ready check) late,
 * and, like a paused (SIGSTOPped) one, does not close its side when the client ends the connection.
 */
async function slowToAnswerRedis (delayMs: number): Promise<{ url: string, close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const info = 'redis_version:7.0.0\r\nloading:0\r\n'
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let received = ''
    socket.on('data', (chunk) => { received += chunk.toString() })
    setTimeout(() => {
      if (socket.destroyed) return
      // Written even after the client ended its side: a half-closed socket still reads.
      socket.write((/setname/i.test(received) ? '+OK\r\n' : '') + `$${Buffer.byteLength(info)}\r\n${info}\r\n`)
    }, delayMs)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    url: `redis://127.0.0.1:${address.port}`,
    async close () {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}

test('a ready check answered after the close gave up waiting leaves no unhandled rejection', async (t) => {
  const rejections = collectUnhandledRejections(t)

  // The answer comes after the close's own wait for BullMQ's initialisation (1 s): the close has gone on and removed
  // BullMQ's listeners when 'ready' arrives and BullMQ's INFO is refused on the ended connection.
  const redis = await slowToAnswerRedis(1500)
  t.after(redis.close)
  const logs = captureLogs()
  const connection = openRedis({ url: redis.url, logger: logs.logger, name: 'test-outbox-close' })
  const queue = createOutboxQueue({ connection, prefix: 'test-close-late', attempts: 1, backoffMs: 10, logger: logs.logger })
  await once(connection, 'connect')
  await queue.close()
  assert.deepEqual(await rejections.after(1000), [])
})

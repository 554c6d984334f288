import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { createOutboxQueue } from '../../src/outbox/outbox-queue.ts'
import { openRedis } from '../../src/storage/redis-connection.ts'
import { deadUrl } from '../helpers/cli.ts'
import { captureLogs } from '../helpers/logs.ts'

/**
 * BullMQ initialises its connection in the background and reports a failed initialisation on an emitter that closing
 * the queue has emptied of listeners: with our own (shared) connection ended after the close, that was an unhandled
 * rejection ("Stream isn't writeable …"), which kills a process that treats them as fatal. Seen when a replica was
 * replaced mid-start, and by the test runner (`failureType: 'unhandledRejection'`).
 */
test('closing the outbox queue while its Redis is not there yet leaves no unhandled rejection', async (t) => {
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  process.on('unhandledRejection', onRejection)
  t.after(() => { process.off('unhandledRejection', onRejection) })

  const url = (await deadUrl()).replace(/^http:/, 'redis:').replace(/\/weibo$/, '')
  const logs = captureLogs()
  const connection = openRedis({ url, logger: logs.logger, name: 'test-outbox-close' })
  const queue = createOutboxQueue({ connection, prefix: 'test-close', attempts: 1, backoffMs: 10, logger: logs.logger })
  await sleep(50) // the connection is retrying; BullMQ's initialisation waits for it
  await queue.close()
  await sleep(300) // a rejection left behind surfaces on a later turn of the event loop
  assert.deepEqual(rejections.map(String), [])
})

test('closing the outbox queue the moment its connection is ready leaves no unhandled rejection', { skip: process.env.REDIS_URL === undefined ? 'REDIS_URL is not set' : false }, async (t) => {
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  process.on('unhandledRejection', onRejection)
  t.after(() => { process.off('unhandledRejection', onRejection) })

  const logs = captureLogs()
  for (let round = 0; round < 20; round++) {
    const connection = openRedis({ url: process.env.REDIS_URL ?? '', logger: logs.logger, name: 'test-outbox-close' })
    // BullMQ's initialisation runs INFO right after 'ready': close in that gap, as a replica replaced mid-start does
    // (this listener comes before BullMQ's, so the close starts before its INFO is sent).
    const closed = new Promise<void>((resolve) => { connection.once('ready', () => { queue.close().then(resolve, resolve) }) })
    const queue = createOutboxQueue({ connection, prefix: `test-close-${round}`, attempts: 1, backoffMs: 10, logger: logs.logger })
    await closed
  }
  await sleep(300)
  assert.deepEqual(rejections.map(String), [])
})

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createOutboxQueue } from '../../src/outbox/outbox-queue.ts'
import { openRedis } from '../../src/storage/redis-connection.ts'
import { captureLogs } from '../helpers/logs.ts'
import { freePort } from '../helpers/ports.ts'
import { startOwnRedis } from '../helpers/redis.ts'

const skip = spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is not on PATH'

/**
 * Redis slow to answer just as the connection comes up (a loaded machine, a busy server): the outbox's connection
 * gives each command 500 ms. BullMQ used to spend its one initialisation on a version check (INFO) on that connection;
 * once that timed out the queue stayed broken for the life of the process: every enqueue failed as "maybe written",
 * and the sender retried it forever (a late reply never sent, and a test that hung). Seen in the suite under load.
 */
test('an outbox queue whose Redis stalls right at connect queues normally once Redis answers again', { skip }, async (t) => {
  const redis = await startOwnRedis(await freePort())
  t.after(async () => {
    try { process.kill(redis.pid, 'SIGCONT') } catch {}
    await redis.stop()
  })
  const logs = captureLogs()
  const connection = openRedis({ url: redis.url, logger: logs.logger, name: 'test-outbox-init' })
  // Registered before the queue's own listener, so Redis is paused before BullMQ sends anything on the connection.
  connection.once('ready', () => { process.kill(redis.pid, 'SIGSTOP') })
  const queue = createOutboxQueue({ connection, prefix: 'test-init', attempts: 1, backoffMs: 10, logger: logs.logger })
  t.after(async () => { await queue.close() })
  await new Promise((resolve) => connection.once('ready', resolve))
  await sleep(1000) // twice the connection's command timeout
  process.kill(redis.pid, 'SIGCONT')

  const result = await queue.enqueue({ receiverId: '3000000001', reply: { type: 'text', text: 'late' }, handler: 'h', dedupKey: 'init-stall', queuedAt: Date.now() })
  assert.ok(result.queued, result.queued ? '' : `not queued: ${result.error.message}`)
  assert.equal((await queue.counts()).waiting, 1)
})

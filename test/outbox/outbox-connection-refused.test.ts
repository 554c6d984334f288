import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { buildApp } from '../../src/app.ts'
import { testConfig } from '../helpers/config.ts'
import { collectUnhandledRejections } from '../helpers/rejections.ts'
import { captureLogs } from '../helpers/logs.ts'
import { freePort } from '../helpers/ports.ts'
import { startOwnRedis } from '../helpers/redis.ts'
import { API_TOKEN } from '../helpers/simulator-api.ts'

const hasRedisServer = process.env.REDIS_URL === undefined ? 'REDIS_URL is not set' : false

test('a server whose dedup connection is up but whose outbox connections are refused starts, answers and stops cleanly', { skip: hasRedisServer }, async (t) => {
  const rejections = collectUnhandledRejections(t)

  const redis = await startOwnRedis(await freePort())
  t.after(redis.stop)
  const admin = new Redis(redis.url)
  t.after(() => { admin.disconnect() })
  // Room for this admin connection and the server's two dedup ones: Redis refuses every later connection
  // ("max number of clients reached"), so the outbox's queue and worker never get theirs.
  await admin.config('SET', 'maxclients', '3')

  for (const stopAfterMs of [0, 50, 300]) {
    const logs = captureLogs()
    const app = await buildApp({
      // OUTBOX_LOCK_MS is also BullMQ's stalled-check interval. A worker closed while its stalled check is failing on
      // a refused connection arms one more check after the close (BullMQ tests `closing` only before it waits), and
      // that timer kept this file's process alive for the default 30 s on a loaded machine.
      config: testConfig({ REDIS_URL: redis.url, WEIBO_ACCESS_TOKEN: API_TOKEN, WEIBO_API_BASE_URL: 'http://127.0.0.1:9', OUTBOX_LOCK_MS: '1000' }),
      logger: logs.logger,
      handlers: [{ on: 'text', handle: () => ({ type: 'text', text: 'ok' }) }]
    })
    const health = await app.inject({ method: 'GET', url: '/healthz' })
    assert.equal(health.statusCode, 200)
    await sleep(stopAfterMs)
    await app.close()
  }
  // a rejection left behind surfaces on a later turn of the event loop
  assert.deepEqual(await rejections.after(500), [])
})

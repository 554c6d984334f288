import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { buildApp } from '../../src/app.ts'
import { text } from '../../src/index.ts'
import { testConfig } from '../helpers/config.ts'
import { captureLogs } from '../helpers/logs.ts'
import { freePort } from '../helpers/ports.ts'
import { decodePassive, fixtureWith, sendPush } from '../helpers/push.ts'
import { skipWithoutRedis, startOwnRedis, uniquePrefix } from '../helpers/redis.ts'

// This test starts a redis-server of its own, so it needs the binary; it runs wherever the Redis tests run.
const skip = skipWithoutRedis !== false ? skipWithoutRedis : spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is not on PATH'

async function until (check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const started = Date.now()
  while (!await check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

test('Redis stopped mid-run: pushes are still answered (with a warning and a metric), /readyz says so, and it recovers', { skip }, async (t) => {
  // A redis-server of our own on another port: stopping the shared one would break other tests.
  const redis = await startOwnRedis(await freePort())
  t.after(async () => { await redis.stop() })
  const logs = captureLogs('info')
  let runs = 0
  const app = await buildApp({
    // Weibo's own deadline (4 s), not the tests' 100 ms: what is checked is that a push is answered while Redis is
    // down, and on a loaded machine the push that first meets the dead connection took longer than 100 ms (a blank
    // answer, then "Unexpected end of JSON input"; seen in a full run under load).
    config: testConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix(), OUTBOX_CONCURRENCY: '0', REPLY_DEADLINE_MS: '4000' }),
    logger: logs.logger,
    handlers: [{ on: 'text', handle: (message) => { runs++; return text(`got ${message.text}`) } }]
  })
  t.after(async () => { await app.close() })
  const push = async (words: string): Promise<string> => (await sendPush(app, fixtureWith('text', { text: words }))).body

  assert.deepEqual(decodePassive(await push('before')).data, { text: 'got before' })
  await redis.stop()

  const during = await push('during')
  assert.deepEqual(decodePassive(during).data, { text: 'got during' }, 'still answered while Redis is down')
  assert.ok(logs.lines().some((line) => String(line.msg).startsWith('dedup store unavailable')))
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  assert.match(metrics, /weibo_fanbot_store_errors_total\{operation="claim"\} [1-9]/)
  const notReady = await app.inject({ method: 'GET', url: '/readyz' })
  assert.equal(notReady.statusCode, 503)
  assert.notEqual(notReady.json().checks['dedup-store'], 'ok')

  await redis.start()
  await until(async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200)
  const runsBefore = runs
  const after = await push('after')
  assert.equal(await push('after'), after, 'a retry is recognised again')
  assert.equal(runs, runsBefore + 1)
})

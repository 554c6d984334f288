import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { buildApp } from '../../src/app.ts'
import { defineHandler, text } from '../../src/index.ts'
import { testConfig } from '../helpers/config.ts'
import { captureLogs } from '../helpers/logs.ts'
import { freePort } from '../helpers/ports.ts'
import { decodePassive, fixtureWith, sendPush } from '../helpers/push.ts'
import { skipWithoutRedis, startOwnRedis, uniquePrefix } from '../helpers/redis.ts'

const skip = skipWithoutRedis !== false ? skipWithoutRedis : spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is not on PATH'

test('Redis stopped: a session handler is still answered (empty session, nothing saved, counted); sessions resume after', { skip }, async (t) => {
  const redis = await startOwnRedis(await freePort())
  t.after(async () => { await redis.stop() })
  const logs = captureLogs('info')
  const app = await buildApp({
    // A deadline loose enough for a loaded test machine: this test is about the answer, not its path.
    config: testConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix(), OUTBOX_CONCURRENCY: '0', REPLY_DEADLINE_MS: '3000' }),
    logger: logs.logger,
    handlers: [defineHandler<'text', { n?: number }>({ on: 'text', session: true, handle: (_m, ctx) => { ctx.session.n = (ctx.session.n ?? 0) + 1; return text(`#${ctx.session.n}`) } })]
  })
  t.after(async () => { await app.close() })
  let second = 0
  const say = async (): Promise<string> => {
    second++
    const body = (await sendPush(app, fixtureWith('text', { text: `m${second}`, created_at: new Date(Date.UTC(2026, 4, 1, 0, 0, second)).toUTCString().replace('GMT', '+0000') }))).body
    return body === '' ? '' : (decodePassive(body).data as { text: string }).text
  }

  assert.equal(await say(), '#1')
  await redis.stop()
  assert.equal(await say(), '#1', 'answered with an empty session while Redis is down')
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  assert.match(metrics, /weibo_fanbot_store_errors_total\{operation="fan-queue"\} [1-9]/)
  assert.match(metrics, /weibo_fanbot_store_errors_total\{operation="session-load"\} [1-9]/)
  assert.ok(logs.lines().some((line) => (line.err as { code?: string } | undefined)?.code === 'WEIBO_ERR_SESSION_UNAVAILABLE'))

  // Nothing is kept on disk: the restarted Redis is empty, and sessions start again from there.
  await redis.start()
  for (let attempt = 0; attempt < 100 && (await app.inject({ method: 'GET', url: '/readyz' })).statusCode !== 200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.equal(await say(), '#1')
  assert.equal(await say(), '#2')
})

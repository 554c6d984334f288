/**
 * Scale-out's second promise: a replica killed (SIGKILL) after answering blank, with its handler's reply already
 * queued in Redis, loses nothing: another replica's outbox worker delivers the reply, once.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { Queue } from 'bullmq'
import { buildApp } from '../../src/app.ts'
import { createFakeWeiboApi } from '../../src/simulator/fake-weibo-api.ts'
import { makePush, pushToJson } from '../../src/simulator/push-factory.ts'
import { TEST_SECRET, TEST_TOKEN, testConfig } from '../helpers/config.ts'
import { lateHandlerSource, markAnswered, waitFor } from '../helpers/deferred.ts'
import { signedQuery } from '../helpers/push.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'
import { startServerProcess } from '../helpers/server-process.ts'

test('a replica SIGKILLed after answering blank, its reply queued: the other replica delivers it once', { skip: skipWithoutRedis }, async (t) => {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  t.after(async () => { await deleteKeys(url, prefix) })
  const fake = createFakeWeiboApi({ accessToken: TEST_TOKEN, rules: { repliesPerWindow: 1000 } })
  const apiBaseUrl = await fake.listen()
  t.after(async () => { await fake.close() })
  const dir = await mkdtemp(path.join(tmpdir(), 'fanbot-replica-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  // Late for sure: it answers once the push was answered blank (markAnswered), then the reply goes to the outbox.
  await writeFile(path.join(dir, 'slow.js'), lateHandlerSource("'survived the crash'"))
  const shared = { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, WEIBO_ACCESS_TOKEN: TEST_TOKEN, WEIBO_API_BASE_URL: apiBaseUrl, REPLY_DEADLINE_MS: '100' }

  // Replica A runs no outbox worker, so the job waits in Redis until A dies.
  const a = startServerProcess({ env: { ...shared, WEIBO_APP_SECRET: TEST_SECRET, HANDLERS_DIR: dir, OUTBOX_CONCURRENCY: '0' } })
  t.after(() => { if (a.child.exitCode === null) a.child.kill('SIGKILL') })
  const base = await a.ready
  const push = pushToJson(makePush({ type: 'text', text: '我的订单呢' }))
  fake.recordFanActivity(JSON.parse(push) as { type: string, sender_id: number })
  const answer = await fetch(`${base}/weibo?${signedQuery()}`, { method: 'POST', body: push })
  assert.equal(answer.status, 200)
  assert.equal(await answer.text(), '')
  await markAnswered(dir)

  const queue = new Queue('late-replies', { connection: { url }, prefix })
  t.after(async () => { await queue.close() })
  let queued = 0
  const started = Date.now()
  while (queued === 0 && Date.now() - started < 5000) {
    queued = await queue.count()
    if (queued === 0) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.equal(queued, 1, 'the reply is in Redis before the crash')
  a.child.kill('SIGKILL')
  assert.equal(await a.exited, 'SIGKILL')
  assert.equal(fake.calls.length, 0, 'nothing was sent before the crash')

  // Replica B, with a worker, picks the job up.
  const b = await buildApp({ config: testConfig({ ...shared, OUTBOX_CONCURRENCY: '1' }), handlers: [] })
  t.after(async () => { await b.close() })
  await waitFor(() => fake.calls.length > 0, 10_000)
  await new Promise((resolve) => setTimeout(resolve, 300)) // and nothing more follows
  const replies = fake.calls.filter((call) => call.path === '/2/messages/reply.json')
  assert.equal(replies.length, 1)
  assert.equal(replies[0]?.status, 200)
  assert.deepEqual(JSON.parse(replies[0]?.params.data ?? ''), { text: 'survived the crash' })
})

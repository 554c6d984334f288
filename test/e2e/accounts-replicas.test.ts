import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { buildApp } from '../../src/app.ts'
import { createFakeWeiboApi, type FakeWeiboApi } from '../../src/simulator/fake-weibo-api.ts'
import { ACCOUNT_A, ACCOUNT_B, accountHandlers, PATH_B, SECRET_B } from '../helpers/accounts.ts'
import { testConfig, TEST_SECRET } from '../helpers/config.ts'
import { answerGate, waitFor } from '../helpers/deferred.ts'
import { captureLogs, type CapturedLogs } from '../helpers/logs.ts'
import { decodePassive, fixtureWith, sendPush } from '../helpers/push.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

const TOKEN_A = 'token-of-brand-a-5f1c'
const TOKEN_B = 'token-of-brand-b-9d2e'
const FAN = '6000000001'

interface World {
  /** Web-only (OUTBOX_CONCURRENCY=0): it queues late replies, never sends them. */
  web: FastifyInstance
  /** Sends every late reply from the outbox. */
  worker: FastifyInstance
  fake: FakeWeiboApi
  logs: CapturedLogs
  url: string
  prefix: string
}

/** Two replicas on one Redis serving two accounts, behind one balancer; a fake Weibo on loopback playing both. */
async function world (t: TestContext): Promise<World> {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const fake = createFakeWeiboApi({ accessToken: TOKEN_A, accountId: ACCOUNT_A, moreAccounts: [{ uid: ACCOUNT_B, accessToken: TOKEN_B }] })
  const base = await fake.listen()
  t.after(async () => { await fake.close() })
  t.after(async () => { await deleteKeys(url, prefix) })
  const logs = captureLogs('info')
  const gate = answerGate()
  const start = async (concurrency: string): Promise<FastifyInstance> => {
    const app = await buildApp({
      config: testConfig({ REDIS_URL: url, REDIS_KEY_PREFIX: prefix, OUTBOX_CONCURRENCY: concurrency, REPLY_DEADLINE_MS: '300', WEIBO_API_BASE_URL: base }),
      logger: logs.logger,
      accounts: [{ uid: ACCOUNT_A, accessToken: TOKEN_A }, { uid: ACCOUNT_B, accessToken: TOKEN_B, appSecret: SECRET_B, callbackPath: PATH_B }],
      handlers: accountHandlers(gate.answered)
    })
    t.after(async () => { await app.close() })
    gate.watch(app)
    return app
  }
  return { web: await start('0'), worker: await start('2'), fake, logs, url, prefix }
}

let second = 0
/** A fan's text to one account, posted where Weibo posts that account's pushes, signed with its secret. */
async function post (app: FastifyInstance, options: { to: string, text: string, fan?: string }): Promise<{ status: number, text: string }> {
  second++
  const created = new Date(Date.UTC(2026, 2, 1, 0, 0, second)).toUTCString().replace('GMT', '+0000')
  const body = fixtureWith('text', { text: options.text, sender_id: Number(options.fan ?? FAN), receiver_id: Number(options.to), created_at: created })
  const forB = options.to === ACCOUNT_B
  const response = await sendPush(app, body, { path: forB ? PATH_B : '/weibo', secret: forB ? SECRET_B : TEST_SECRET })
  return { status: response.statusCode, text: response.body === '' ? '' : (decodePassive(response.body).data as { text: string }).text }
}

/** Every value under the prefix, as text: what a Redis dump of this server would show. */
async function redisDump (url: string, prefix: string): Promise<string> {
  const redis = new Redis(url)
  try {
    const keys = await redis.keys(`${prefix}*`)
    const values = await Promise.all(keys.map(async (key) => {
      const type = await redis.type(key)
      if (type === 'string') return await redis.get(key)
      if (type === 'hash') return JSON.stringify(await redis.hgetall(key))
      if (type === 'list') return JSON.stringify(await redis.lrange(key, 0, -1))
      if (type === 'zset') return JSON.stringify(await redis.zrange(key, 0, -1))
      if (type === 'set') return JSON.stringify(await redis.smembers(key))
      return ''
    }))
    return values.join('\n')
  } finally {
    redis.disconnect()
  }
}

describe('several accounts across two replicas on Redis', { skip: skipWithoutRedis }, () => {
  test('a late reply for B queued by one replica is sent by the other with B\'s token; Redis holds its uid, never a token', async (t) => {
    const { web, fake, url, prefix } = await world(t)
    fake.recordFanActivity({ type: 'text', sender_id: FAN, receiver_id: ACCOUNT_B, text: 'late' })
    fake.recordFanActivity({ type: 'text', sender_id: FAN, receiver_id: ACCOUNT_A, text: 'late' })
    assert.deepEqual(await post(web, { to: ACCOUNT_B, text: 'late' }), { status: 200, text: '' })
    assert.deepEqual(await post(web, { to: ACCOUNT_A, text: 'late' }), { status: 200, text: '' })
    const replies = (): typeof fake.calls => fake.calls.filter((call) => call.path === '/2/messages/reply.json' && call.status === 200)
    await waitFor(() => replies().length === 2)
    const byAccount = new Map(replies().map((call) => [call.account, JSON.parse(call.params.data ?? '{}') as { text?: string }]))
    assert.equal(byAccount.get(ACCOUNT_B)?.text, `late for ${ACCOUNT_B}`)
    assert.equal(byAccount.get(ACCOUNT_A)?.text, `late for ${ACCOUNT_A}`)
    const dump = await redisDump(url, prefix)
    // The job (its data is JSON inside BullMQ's hash, hence the escaped quotes) names B's uid.
    assert.ok(dump.includes(`\\"account\\":\\"${ACCOUNT_B}\\"`), dump)
    assert.ok(!dump.includes(TOKEN_A) && !dump.includes(TOKEN_B), 'a token was written to Redis')
  })

  test('sessions are per account and shared by the replicas; a handler limited to A never runs for B', async (t) => {
    const { web, worker } = await world(t)
    assert.equal((await post(web, { to: ACCOUNT_A, text: 'count' })).text, 'n=1')
    assert.equal((await post(worker, { to: ACCOUNT_B, text: 'count' })).text, 'n=1')
    assert.equal((await post(worker, { to: ACCOUNT_A, text: 'count' })).text, 'n=2')
    assert.equal((await post(web, { to: ACCOUNT_B, text: 'count' })).text, 'n=2')
    assert.equal((await post(worker, { to: ACCOUNT_A, text: 'who' })).text, 'A only')
    assert.equal((await post(web, { to: ACCOUNT_B, text: 'who' })).text, 'anyone')
  })

  test('a push for an unknown account: blank 200 and a warning on whichever replica takes it; a wrong secret for the path is 401', async (t) => {
    const { web, worker, logs } = await world(t)
    assert.deepEqual(await post(worker, { to: '7000000007', text: 'count' }), { status: 200, text: '' })
    assert.ok(logs.lines().some((line) => (line.push as { code?: string } | undefined)?.code === 'WEIBO_ERR_ACCOUNT_UNKNOWN'))
    const body = fixtureWith('text', { text: 'who', receiver_id: Number(ACCOUNT_B) })
    assert.equal((await sendPush(web, body, { path: PATH_B, secret: TEST_SECRET })).statusCode, 401)
  })
})

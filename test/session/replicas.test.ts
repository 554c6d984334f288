import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { defineHandler, text, type Handler, type Middleware } from '../../src/index.ts'
import orderLookup from '../../handlers/order-lookup.ts'
import { testConfig } from '../helpers/config.ts'
import { deferred } from '../helpers/deferred.ts'
import { captureLogs } from '../helpers/logs.ts'
import { decodePassive, fixtureWith, sendPush } from '../helpers/push.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'

/** Two replicas on one Redis, as behind a load balancer: each push (and each retry) may land on either. */
async function replicas (t: TestContext, handlers: Array<Handler | Middleware>, env: Record<string, string> = {}): Promise<[FastifyInstance, FastifyInstance]> {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const start = async (): Promise<FastifyInstance> => {
    const app = await buildApp({
      config: testConfig({ REDIS_URL: url, REDIS_KEY_PREFIX: prefix, OUTBOX_CONCURRENCY: '0', REPLY_DEADLINE_MS: '3000', ...env }),
      logger: captureLogs().logger,
      handlers
    })
    t.after(async () => { await app.close() })
    return app
  }
  t.after(async () => { await deleteKeys(url, prefix) })
  return [await start(), await start()]
}

let second = 0
function push (textValue: string, sender: string): string {
  second++
  const created = new Date(Date.UTC(2026, 1, 1, 0, 0, second)).toUTCString().replace('GMT', '+0000')
  return fixtureWith('text', { text: textValue, sender_id: Number(sender), created_at: created })
}
const replyText = (body: string): string => body === '' ? '' : (decodePassive(body).data as { text: string }).text

const fallback = defineHandler({ on: 'text', priority: -1, handle: (message) => text(`fallback: ${message.text}`) })

describe('conversations across two replicas on Redis', { skip: skipWithoutRedis }, () => {
  test('a conversation whose steps alternate between replicas completes correctly', async (t) => {
    const [a, b] = await replicas(t, [orderLookup, fallback])
    assert.match(replyText((await sendPush(a, push('查订单', '301'))).body), /请输入 6 位订单号/)
    assert.match(replyText((await sendPush(b, push('12', '301'))).body), /订单号是 6 位数字/)
    assert.match(replyText((await sendPush(a, push('123456', '301'))).body), /没有找到订单 123456/)
    assert.equal(replyText((await sendPush(b, push('100001', '301'))).body), '订单 100001：已发货。顺丰 SF1234567890，预计明天送达')
    // Over: the next text is not an order number any more.
    assert.equal(replyText((await sendPush(a, push('100002', '301'))).body), 'fallback: 100002')
  })

  test('a conversation survives a restart: the only replica is replaced mid-way, the new one goes on', async (t) => {
    const url = redisUrl() ?? ''
    const prefix = uniquePrefix()
    t.after(async () => { await deleteKeys(url, prefix) })
    const start = async (): Promise<FastifyInstance> => await buildApp({
      config: testConfig({ REDIS_URL: url, REDIS_KEY_PREFIX: prefix, OUTBOX_CONCURRENCY: '0', REPLY_DEADLINE_MS: '3000' }),
      logger: captureLogs().logger,
      handlers: [orderLookup, fallback]
    })
    const before = await start()
    assert.match(replyText((await sendPush(before, push('查订单', '351'))).body), /请输入/)
    await before.close()
    const after = await start()
    t.after(async () => { await after.close() })
    assert.match(replyText((await sendPush(after, push('100002', '351'))).body), /^订单 100002：制作中/)
  })

  test('two fans talking at once, on both replicas, never see each other\'s state', async (t) => {
    const [a, b] = await replicas(t, [orderLookup, fallback])
    const [startA, startB] = await Promise.all([sendPush(a, push('查订单', '401')), sendPush(b, push('你好', '402'))])
    assert.match(replyText(startA.body), /请输入/)
    assert.equal(replyText(startB.body), 'fallback: 你好')
    const [answerA, answerB] = await Promise.all([sendPush(b, push('100002', '401')), sendPush(a, push('100001', '402'))])
    assert.match(replyText(answerA.body), /订单 100002：制作中/)
    assert.equal(replyText(answerB.body), 'fallback: 100001') // fan 402 never started one
  })

  test('a retry storm during a conversation advances it exactly once', async (t) => {
    let steps = 0
    const counted: Middleware = { name: 'count-steps', session: true, use: async (message, ctx, next) => { if (ctx.session.conversation !== undefined && message.text !== '查订单') steps++; return await next() } }
    const [a, b] = await replicas(t, [counted, orderLookup, fallback])
    await sendPush(a, push('查订单', '501'))
    const bad = push('abc', '501') // an invalid number: each application would count one more miss
    const storm = await Promise.all(Array.from({ length: 12 }, (_value, index) => sendPush(index % 2 === 0 ? a : b, bad)))
    const bodies = new Set(storm.map((response) => replyText(response.body)))
    assert.deepEqual([...bodies], ['订单号是 6 位数字，请重新输入（回复「取消」退出）'])
    assert.equal(steps, 1)
    // One miss recorded, not twelve: a second bad number is the second miss (the third would end it).
    assert.match(replyText((await sendPush(b, push('def', '501'))).body), /请重新输入/)
    assert.match(replyText((await sendPush(a, push('ghi', '501'))).body), /已退出查询/)
  })

  test('a slow step crossing the deadline goes late; the fan\'s next message waits for it, on the other replica', async (t) => {
    const seen: string[] = []
    // The slow step holds the fan's turn until the test has the next message's answer. Left to the archive's own
    // 300 ms, a loaded machine sent the next message after the slow step had ended (it was then answered passively).
    const slowStepEnds = deferred()
    const observer: Middleware = {
      name: 'observer',
      session: true,
      use: async (message, ctx, next) => {
        seen.push(`${message.text}: ${(ctx.session.conversation as { step?: string } | undefined)?.step ?? 'none'}`)
        const reply = await next()
        if (message.text === '900001') await slowStepEnds.promise
        return reply
      }
    }
    const [a, b] = await replicas(t, [observer, orderLookup, fallback], { REPLY_DEADLINE_MS: '100' })
    try {
      await sendPush(a, push('查订单', '601'))
      const slow = await sendPush(a, push('900001', '601'))
      assert.equal(slow.body, '') // blank at the deadline: the answer goes through the outbox
      // Sent while the slow step still runs: it waits its turn, then sees the conversation the slow step ended.
      const next = await sendPush(b, push('100001', '601'))
      assert.equal(next.body, '') // its wait counted against its own deadline: late too
    } finally {
      slowStepEnds.resolve()
    }
    await Promise.all([a.fanbot.dispatcher.idle(), b.fanbot.dispatcher.idle()])
    assert.deepEqual(seen, ['查订单: none', '900001: number', '100001: none'])
  })
})

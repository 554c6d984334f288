/**
 * End to end: the order-lookup conversation through the simulator and the real server over loopback HTTP, with the
 * example middleware in front: passive steps, a slow step answered late through the fake messages/reply API, and
 * the fan's conversation as the simulator recorded it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildApp } from '../../src/app.ts'
import { startSimulator } from '../../src/simulator/simulator.ts'
import { TEST_SECRET, TEST_TOKEN, testConfig } from '../helpers/config.ts'
import { EXAMPLES_DIR } from '../helpers/examples.ts'
import { captureLogs } from '../helpers/logs.ts'

test('a fan looks up an order through the example handlers: passive steps, then a slow step answered late', async (t) => {
  const sim = await startSimulator({ secret: TEST_SECRET, accessToken: TEST_TOKEN })
  t.after(async () => { await sim.close() })
  const app = await buildApp({
    config: testConfig({ WEIBO_ACCESS_TOKEN: TEST_TOKEN, WEIBO_API_BASE_URL: sim.apiBaseUrl, HANDLERS_DIR: EXAMPLES_DIR, REPLY_DEADLINE_MS: '150', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' }),
    logger: captureLogs('info').logger
  })
  t.after(async () => { await app.close() })
  sim.setCallbackUrl(`${await app.listen({ host: '127.0.0.1', port: 0 })}/weibo`)

  const at = (second: number): Date => new Date(Date.UTC(2026, 3, 1, 0, 0, second))
  assert.equal((await sim.push({ type: 'text', text: '查订单', createdAt: at(1) })).delivery.outcome, 'passive')
  assert.equal((await sim.push({ type: 'text', text: '1234', createdAt: at(2) })).delivery.outcome, 'passive')
  assert.equal((await sim.push({ type: 'text', text: '900001', createdAt: at(3) })).delivery.outcome, 'blank')
  await app.fanbot.dispatcher.idle()

  const bot = sim.conversation.entries().filter((entry) => entry.from === 'bot')
  assert.deepEqual(bot.map((entry) => entry.from === 'bot' ? [entry.via, (entry.data as { text: string }).text] : []), [
    ['passive', '请输入 6 位订单号（回复「取消」退出）'],
    ['passive', '订单号是 6 位数字，请重新输入（回复「取消」退出）'],
    ['active', '订单 900001：已完成。2025 年 3 月 8 日已签收']
  ])
})

/**
 * End to end: the simulator plays Weibo against the real server over loopback HTTP (no inject), in both
 * directions: signed pushes to the callback URL, and the bot's late replies to the fake Weibo API.
 */
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { defineHandler, text, type Handler, type Message } from '../../src/index.ts'
import { startSimulator, type Simulator } from '../../src/simulator/simulator.ts'
import type { PlatformRules } from '../../src/simulator/reply-rules.ts'
import { TEST_SECRET, TEST_TOKEN, testConfig } from '../helpers/config.ts'
import { deferred, waitFor } from '../helpers/deferred.ts'
import { captureLogs, type CapturedLogs } from '../helpers/logs.ts'

interface Stack { app: FastifyInstance, sim: Simulator, logs: CapturedLogs, requests: () => number }

async function startStack (t: TestContext, options: { handlers: Handler[], env?: Record<string, string>, rules?: Partial<PlatformRules>, waitMs?: number }): Promise<Stack> {
  const logs = captureLogs('info')
  // The bot's config names the fake API's URL, so the simulator starts first and learns the callback URL after.
  const sim = await startSimulator({ secret: TEST_SECRET, accessToken: TEST_TOKEN, ...(options.rules === undefined ? {} : { rules: options.rules }), ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }) })
  t.after(async () => { await sim.close() })
  const app = await buildApp({
    config: testConfig({ WEIBO_ACCESS_TOKEN: TEST_TOKEN, WEIBO_API_BASE_URL: sim.apiBaseUrl, ...options.env }),
    logger: logs.logger,
    handlers: options.handlers
  })
  let requests = 0
  app.addHook('onRequest', async () => { requests++ })
  t.after(async () => { await app.close() })
  sim.setCallbackUrl(`${await app.listen({ host: '127.0.0.1', port: 0 })}/weibo`)
  return { app, sim, logs, requests: () => requests }
}

describe('simulator against the real server, over loopback HTTP', () => {
  test('the binding handshake succeeds', async (t) => {
    const { sim } = await startStack(t, { handlers: [] })
    const result = await sim.verify()
    assert.equal(result.ok, true, result.explanation)
  })

  test('every push type is delivered signed, reaches its handler, and passive replies come back decoded', async (t) => {
    const seen: Message[] = []
    const { sim } = await startStack(t, { handlers: [defineHandler({ on: '*', handle: (message) => { seen.push(message); return text(`got ${message.type}`) } })] })
    const specs = [
      { type: 'text', text: '你好' }, { type: 'position' }, { type: 'voice' }, { type: 'image' },
      ...(['follow', 'unfollow', 'subscribe', 'unsubscribe', 'scan', 'scan_follow', 'click', 'view'] as const).map((subtype) => ({ type: 'event' as const, subtype })),
      { type: 'mention', subtype: 'status' }, { type: 'mention', subtype: 'comment' }
    ] as const
    for (const [index, spec] of specs.entries()) {
      const { delivery } = await sim.push({ ...spec, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index)) })
      assert.equal(delivery.outcome, 'passive', JSON.stringify(spec))
      assert.equal(delivery.tries.length, 1)
      assert.deepEqual(delivery.reply?.data, { text: `got ${spec.type}` })
    }
    assert.deepEqual(seen.map((message) => 'subtype' in message.data ? `${message.type}:${String(message.data.subtype)}` : message.type), specs.map((spec) =>
      'subtype' in spec ? `${spec.type}:${spec.subtype}` : spec.type))
    const scan = seen.find((message) => message.type === 'event' && message.data.subtype === 'scan')
    assert.deepEqual(scan?.data, { subtype: 'scan', key: 'QR_SCENE_1', ticket: 'SIMULATED_TICKET' })
  })

  test('a retry while the handler is still running joins it: one run, and the retry carries the passive reply', async (t) => {
    const release = deferred()
    let runs = 0
    const stack = await startStack(t, {
      handlers: [{ on: 'text', handle: async () => { runs++; await release.promise; return text('worth the wait') } }],
      env: { REPLY_DEADLINE_MS: '3000' },
      waitMs: 300
    })
    const pushed = stack.sim.push({ type: 'text', text: '在吗' })
    await waitFor(() => stack.requests() >= 2) // Weibo gave up on try 1 after 300 ms and sent try 2
    release.resolve()
    const { delivery } = await pushed
    assert.equal(runs, 1)
    assert.equal(delivery.tries[0]?.error, 'timeout')
    assert.equal(delivery.outcome, 'passive')
    assert.deepEqual(delivery.reply?.data, { text: 'worth the wait' })
    assert.ok(stack.logs.lines().some((line) => (line.push as { outcome?: string } | undefined)?.outcome === 'duplicate'))
  })

  test('a late reply arrives at the fake API once, and the fan sees it as a late message', async (t) => {
    const release = deferred()
    const stack = await startStack(t, {
      handlers: [{ on: 'text', handle: async () => { await release.promise; return text('sorry, slow kitchen') } }],
      env: { REPLY_DEADLINE_MS: '50' }
    })
    const { delivery } = await stack.sim.push({ type: 'text', text: '我的订单呢' })
    assert.equal(delivery.outcome, 'blank')
    release.resolve()
    await stack.app.fanbot.dispatcher.idle()
    const replies = stack.sim.api.calls.filter((call) => call.path === '/2/messages/reply.json')
    assert.equal(replies.length, 1)
    assert.equal(replies[0]?.status, 200)
    const bot = stack.sim.conversation.entries().filter((entry) => entry.from === 'bot')
    assert.deepEqual(bot.map((entry) => entry.from === 'bot' && entry.via), ['active'])
    assert.deepEqual(bot[0]?.from === 'bot' && bot[0].data, { text: 'sorry, slow kitchen' })
  })

  test('a quota refusal from the platform surfaces as a logged Weibo error, sent once', async (t) => {
    // Both late for sure: the handlers end once both pushes were answered (a 100 ms sleep raced the deadline's timer).
    const answered = deferred()
    const stack = await startStack(t, {
      handlers: [{ on: 'text', handle: async () => { await answered.promise; return text('late') } }],
      env: { REPLY_DEADLINE_MS: '20' },
      rules: { repliesPerWindow: 1 }
    })
    const pushed = [
      await stack.sim.push({ type: 'text', text: '一', createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 1)) }),
      await stack.sim.push({ type: 'text', text: '二', createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 2)) })
    ]
    assert.deepEqual(pushed.map(({ delivery }) => delivery.outcome), ['blank', 'blank'])
    answered.resolve()
    await stack.app.fanbot.dispatcher.idle()
    const calls = stack.sim.api.calls.filter((call) => call.path === '/2/messages/reply.json')
    assert.deepEqual(calls.map((call) => call.status), [200, 403])
    const failure = stack.logs.lines().find((line) => line.msg === 'late reply failed')
    const facts = failure?.lateReply as { errorCode?: number, code?: string } | undefined
    assert.equal(facts?.errorCode, 20016)
    assert.equal(facts?.code, 'WEIBO_ERR_API_REJECTED')
  })
})

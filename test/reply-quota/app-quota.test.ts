import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { defineHandler, text, type Handler } from '../../src/index.ts'
import { createTestKit, type TestKit } from '../../src/testing.ts'
import { captureLogs } from '../helpers/logs.ts'

async function kitWith (t: TestContext, handlers: Handler[], options: { repliesPerWindow?: number } = {}): Promise<{ kit: TestKit, logs: ReturnType<typeof captureLogs> }> {
  const logs = captureLogs('info')
  const kit = await createTestKit({ handlers, rules: { repliesPerWindow: options.repliesPerWindow ?? 99 }, logger: logs.logger })
  t.after(kit.close)
  return { kit, logs }
}

function replyCalls (kit: TestKit): number {
  return kit.api.calls.filter((call) => call.path === '/2/messages/reply.json').length
}

async function scrape (kit: TestKit): Promise<string> {
  return (await kit.app.inject({ url: '/metrics' })).body
}

describe('reply windows and quotas in the running bot', () => {
  test('a reply past the quota is refused before any call to Weibo, with a coded error and a metric', async (t) => {
    const errors: unknown[] = []
    const { kit } = await kitWith(t, [defineHandler({
      on: 'text',
      async handle (message, ctx) {
        for (let reply = 1; reply <= 3; reply++) {
          try {
            await ctx.api.messages.reply({ receiverId: message.sender_id, reply: text(`第 ${reply} 条`) })
          } catch (error) {
            errors.push(error)
          }
        }
      }
    })], { repliesPerWindow: 2 })
    await kit.send({ type: 'text', text: '三条消息' })
    assert.equal(replyCalls(kit), 2)
    assert.equal(errors.length, 1)
    assert.equal((errors[0] as { code?: string }).code, 'WEIBO_ERR_QUOTA_EXHAUSTED')
    assert.match(await scrape(kit), /weibo_fanbot_replies_refused_total\{reason="quota-exhausted"\} 1/)
  })

  test('replying to a fan who unfollowed is refused locally', async (t) => {
    const outcomes: string[] = []
    const { kit } = await kitWith(t, [defineHandler({
      on: 'event:unfollow',
      async handle (message, ctx) {
        try {
          await ctx.api.messages.reply({ receiverId: message.sender_id, reply: text('再见') })
          outcomes.push('sent')
        } catch (error) {
          outcomes.push((error as { code: string }).code)
        }
      }
    })])
    await kit.send({ type: 'text', text: '你好' })
    await kit.send({ type: 'event', subtype: 'unfollow' })
    assert.deepEqual(outcomes, ['WEIBO_ERR_QUOTA_UNFOLLOWED'])
    assert.equal(replyCalls(kit), 0)
  })

  test('a direct message to a fan who unfollowed is refused locally; after a new follow it goes out', async (t) => {
    const outcomes: string[] = []
    const { kit } = await kitWith(t, [defineHandler({
      on: 'event',
      async handle (message, ctx) {
        try {
          await ctx.api.directMessages.send({ uid: message.sender_id, text: '欢迎回来' })
          outcomes.push('sent')
        } catch (error) {
          outcomes.push((error as { code: string }).code)
        }
      }
    })])
    await kit.send({ type: 'event', subtype: 'unfollow' })
    await kit.send({ type: 'event', subtype: 'follow' })
    assert.deepEqual(outcomes, ['WEIBO_ERR_QUOTA_UNFOLLOWED', 'sent'])
    assert.equal(kit.api.calls.filter((call) => call.path === '/2/direct_messages/send.json').length, 1)
    assert.match(await scrape(kit), /weibo_fanbot_replies_refused_total\{reason="unfollowed"\} 1/)
  })

  test('a long text with split: true reaches the fan as several messages, in order, over the active API', async (t) => {
    const paragraph = '青柚茶饮的会员积分规则如下，请耐心阅读。'.repeat(14) // 280 characters
    const long = [paragraph, paragraph, paragraph].join('\n')
    const { kit } = await kitWith(t, [defineHandler({ on: 'text', handle: () => text(long, { split: true }) })])
    const result = await kit.send({ type: 'text', text: '积分规则' })
    assert.equal(result.tries[0]?.body, '', 'several messages cannot be one passive reply')
    const sent = kit.conversation.entries().filter((entry) => entry.from === 'bot')
    assert.deepEqual(sent.map((entry) => entry.from === 'bot' ? entry.via : ''), ['active', 'active', 'active'])
    assert.deepEqual(sent.map((entry) => (entry.from === 'bot' ? entry.data as { text: string } : { text: '' }).text), [paragraph, paragraph, paragraph])
  })

  test('a split text the quota cannot hold is not sent in part', async (t) => {
    const { kit, logs } = await kitWith(t, [defineHandler({ on: 'text', handle: () => text('好'.repeat(700), { split: true }) })], { repliesPerWindow: 2 })
    await kit.send({ type: 'text', text: '长文' })
    assert.equal(replyCalls(kit), 0)
    assert.ok(logs.lines().some((line) => line.msg === 'late reply not sent: WEIBO_ERR_QUOTA_EXHAUSTED (Weibo would refuse it)'))
  })

  test('a text of 300 characters without split fails with WEIBO_ERR_REPLY_INVALID saying how to split it', async (t) => {
    const { kit, logs } = await kitWith(t, [defineHandler({ on: 'text', handle: () => text('长'.repeat(300)) })])
    const result = await kit.send({ type: 'text', text: '长文' })
    assert.equal(result.transport, 'none')
    const failure = logs.lines().find((line) => (line.err as { code?: string } | undefined)?.code === 'WEIBO_ERR_REPLY_INVALID')
    assert.ok(failure !== undefined)
    assert.match(String((failure.err as { message: string }).message), /at most 299 characters \(it has 300\).*split: true/)
  })
})

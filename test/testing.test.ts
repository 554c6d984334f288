import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { text } from '../src/index.ts'
import { createTestKit, type TestKit, type TestKitOptions } from '../src/testing.ts'
import { EXAMPLES_DIR } from './helpers/examples.ts'

async function kitFor (t: TestContext, options: TestKitOptions): Promise<TestKit> {
  const kit = await createTestKit(options)
  t.after(async () => { await kit.close() })
  return kit
}

const slowly = async <T>(value: T): Promise<T> => await new Promise((resolve) => setTimeout(() => { resolve(value) }, 80))

describe('the test kit (weibo-fanbot/testing)', () => {
  test('a fast handler: transport passive, the decoded reply, one try, no API call', async (t) => {
    const kit = await kitFor(t, { handlers: [{ on: 'text', handle: (message) => text(`echo ${message.text}`) }] })
    const result = await kit.send({ type: 'text', text: '你好' })
    assert.equal(result.transport, 'passive')
    assert.deepEqual(result.reply, { type: 'text', data: { text: 'echo 你好' } })
    assert.equal(result.tries.length, 1)
    assert.equal(result.tries[0]?.status, 200)
    assert.deepEqual(result.apiCalls, [])
  })

  test('a slow handler: transport active, the reply as delivered through messages/reply, in milliseconds', async (t) => {
    const kit = await kitFor(t, { handlers: [{ on: 'text', handle: async () => await slowly(text('late but here')) }] })
    const started = performance.now()
    const result = await kit.send({ type: 'text' })
    assert.ok(performance.now() - started < 1000)
    assert.equal(result.transport, 'active')
    assert.deepEqual(result.reply, { type: 'text', data: { text: 'late but here' } })
    assert.equal(result.tries[0]?.body, '')
    assert.equal(result.apiCalls.length, 1)
    assert.equal(result.apiCalls[0]?.path, '/2/messages/reply.json')
  })

  test('no reply: transport none', async (t) => {
    const kit = await kitFor(t, { handlers: [{ on: 'text', handle: () => undefined }] })
    const result = await kit.send({ type: 'text' })
    assert.equal(result.transport, 'none')
    assert.equal(result.reply, undefined)
  })

  test('every push type can be sent, each as a new message', async (t) => {
    const seen: string[] = []
    const kit = await kitFor(t, { handlers: [{ on: '*', handle: (message) => { seen.push(message.type) } }] })
    for (const type of ['text', 'position', 'voice', 'image', 'event', 'mention'] as const) await kit.send({ type })
    assert.deepEqual(seen, ['text', 'position', 'voice', 'image', 'event', 'mention'])
  })

  test('kit.retry plays Weibo\'s retry: the same answer, the handler run once', async (t) => {
    let runs = 0
    const kit = await kitFor(t, { handlers: [{ on: 'text', handle: () => text(`run ${++runs}`) }] })
    const first = await kit.send({ type: 'text' })
    const again = await kit.retry(first)
    assert.deepEqual(again.reply, first.reply)
    assert.equal(runs, 1)
  })

  test('the platform\'s rules apply to the bot: a late reply past the quota is not sent at all', async (t) => {
    const kit = await kitFor(t, {
      handlers: [{ on: 'text', handle: async () => await slowly(text('late')) }],
      rules: { repliesPerWindow: 0 }
    })
    const result = await kit.send({ type: 'text' })
    assert.equal(result.transport, 'none')
    assert.deepEqual(result.apiCalls, [])
  })

  test('with the bot\'s own checks off, the fake Weibo refuses the reply, and the refusal is in apiCalls', async (t) => {
    const kit = await kitFor(t, {
      handlers: [{ on: 'text', handle: async () => await slowly(text('late')) }],
      rules: { repliesPerWindow: 0 },
      env: { WEIBO_API_MAX_RETRIES: '0', REPLY_QUOTA_ENFORCE: 'false' }
    })
    const result = await kit.send({ type: 'text' })
    assert.equal(result.transport, 'none')
    assert.equal(result.apiCalls.length, 1)
    assert.equal(result.apiCalls[0]?.status, 403)
    assert.equal((result.apiCalls[0]?.response as { error_code?: number }).error_code, 20016)
  })

  test('loads a handlers folder as the server does, and keeps the conversation as the fan sees it', async (t) => {
    const kit = await kitFor(t, { handlersDir: EXAMPLES_DIR })
    await kit.send({ type: 'event', subtype: 'follow' })
    await kit.send({ type: 'text', text: '帮助' })
    const entries = kit.conversation.entries().map((entry) => `${entry.from}${entry.from === 'bot' ? `:${entry.via}` : ''}`)
    assert.deepEqual(entries, ['fan', 'bot:passive', 'fan', 'bot:passive'])
  })
})

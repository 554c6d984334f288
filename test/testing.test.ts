import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { articles, text, type Handler } from '../src/index.ts'
import { createTestKit, type TestKit, type TestKitOptions } from '../src/testing.ts'
import { answerGate } from './helpers/deferred.ts'
import { EXAMPLES_DIR } from './helpers/examples.ts'

async function kitFor (t: TestContext, options: TestKitOptions): Promise<TestKit> {
  const kit = await createTestKit(options)
  t.after(async () => { await kit.close() })
  return kit
}

/**
 * A kit whose one handler answers `reply` only once the kit has the push's own answer, blank at the deadline: late
 * whatever the machine's timers do. A fixed 80 ms against the kit's 50 ms deadline was answered passively at load 20
 * (the deadline's timer is set after the handler starts).
 */
async function lateKit (t: TestContext, reply: ReturnType<typeof text>, options: Omit<TestKitOptions, 'handlers'> = {}): Promise<TestKit> {
  const gate = answerGate()
  const kit = await kitFor(t, { ...options, handlers: [{ on: 'text', handle: async () => { await gate.answered(); return reply } }] })
  gate.watch(kit.app)
  return kit
}

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
    const kit = await lateKit(t, text('late but here'))
    const result = await kit.send({ type: 'text' })
    // In milliseconds: the kit's deadline, not Weibo's 5 s (a bound on the wall time would fail on a loaded machine).
    assert.equal(kit.app.fanbot.config.replyDeadlineMs, 50)
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
    const kit = await lateKit(t, text('late'), { rules: { repliesPerWindow: 0 } })
    const result = await kit.send({ type: 'text' })
    assert.equal(result.transport, 'none')
    assert.deepEqual(result.apiCalls, [])
  })

  test('with the bot\'s own checks off, the fake Weibo refuses the reply, and the refusal is in apiCalls', async (t) => {
    const kit = await lateKit(t, text('late'), { rules: { repliesPerWindow: 0 }, env: { WEIBO_API_MAX_RETRIES: '0', REPLY_QUOTA_ENFORCE: 'false' } })
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

/** A kit whose printed error lines are kept. */
async function watchedKit (t: TestContext, handlers: Handler[], env?: Record<string, string>): Promise<{ kit: TestKit, printed: string[] }> {
  const printed: string[] = []
  const kit = await kitFor(t, { handlers, printErrors: (line) => { printed.push(line) }, ...(env === undefined ? {} : { env }) })
  return { kit, printed }
}

describe('the test kit shows why a handler gave no reply', () => {
  const cases: Array<{ title: string, handle: Handler['handle'], code: string, reason: string }> = [
    {
      title: 'a reply with a wrong key',
      handle: () => ({ type: 'text', content: 'hi' }) as never,
      code: 'WEIBO_ERR_REPLY_INVALID',
      reason: 'Unrecognized key: "content"'
    },
    { title: 'a bare string', handle: () => 'hi' as never, code: 'WEIBO_ERR_REPLY_INVALID', reason: 'got a bare string; return text("hi")' },
    {
      title: 'an article without url',
      handle: () => ({ type: 'articles', articles: [{ display_name: 'New', summary: '', image: 'https://example.com/a.png' }] }) as never,
      code: 'WEIBO_ERR_REPLY_INVALID',
      reason: '→ at articles[0].url'
    },
    {
      title: 'a throw',
      handle: (_message, ctx) => (ctx.api as unknown as { txt: () => never }).txt(),
      code: 'WEIBO_ERR_HANDLER_THREW',
      reason: 'ctx.api.txt is not a function'
    }
  ]
  for (const { title, handle, code, reason } of cases) {
    test(`${title}: the result has handler and error, and one line is printed`, async (t) => {
      const { kit, printed } = await watchedKit(t, [{ name: 'greet', on: 'text', handle }])
      const result = await kit.send({ type: 'text', text: '你好' })
      assert.equal(result.transport, 'none')
      assert.equal(result.handler, 'greet')
      assert.equal(result.error?.code, code)
      assert.equal(printed.length, 1)
      const [line = ''] = printed
      assert.ok(line.startsWith(`handler greet failed (${code}): `), line)
      assert.ok(line.includes(reason), line)
      assert.ok(!line.includes('\n'), 'one line')
      // Said once: the reason does not come back (a cause appended, raw zod JSON after the summary).
      assert.equal(line.split(reason).length, 2, line)
      assert.ok(!line.includes('"code"'), line)
    })
  }

  test('a failure on the late path is printed and carried too', async (t) => {
    // It fails only once the push was answered: on the late path for sure (an 80 ms timer raced the deadline's).
    const gate = answerGate()
    const { kit, printed } = await watchedKit(t, [{
      name: 'slow',
      on: 'text',
      handle: async () => { await gate.answered(); throw new Error('the shop API said 500') }
    }])
    gate.watch(kit.app)
    const result = await kit.send({ type: 'text' })
    assert.equal(result.transport, 'none')
    assert.equal(result.error?.code, 'WEIBO_ERR_HANDLER_THREW')
    assert.deepEqual(printed, ['handler slow failed (WEIBO_ERR_HANDLER_THREW): the shop API said 500'])
  })

  test('a reply carries its handler and its text or articles; no error, nothing printed', async (t) => {
    const item = { display_name: 'New', summary: 'in store', image: 'https://example.com/a.png', url: 'https://example.com/a' }
    const { kit, printed } = await watchedKit(t, [
      { name: 'hello', on: 'text', handle: () => text('你好') },
      { name: 'menu', on: 'event:click', handle: () => articles(item) }
    ])
    const greeting = await kit.send({ type: 'text' })
    assert.equal(greeting.handler, 'hello')
    assert.equal(greeting.text, '你好')
    assert.equal(greeting.error, undefined)
    const menu = await kit.send({ type: 'event', subtype: 'click', key: 'NEW' })
    assert.equal(menu.handler, 'menu')
    assert.deepEqual(menu.articles, [item])
    assert.equal(menu.text, undefined)
    assert.deepEqual(printed, [])
  })

  test('a push no handler takes has no handler and no error', async (t) => {
    const { kit } = await watchedKit(t, [{ on: 'image', handle: () => text('nice') }])
    const result = await kit.send({ type: 'text' })
    assert.equal(result.handler, undefined)
    assert.equal(result.error, undefined)
  })

  test('by default the line goes to stderr; printErrors: false keeps quiet', async (t) => {
    const written: string[] = []
    const write = process.stderr.write
    process.stderr.write = ((chunk: string) => { written.push(String(chunk)); return true }) as typeof process.stderr.write
    t.after(() => { process.stderr.write = write })
    const loud = await kitFor(t, { handlers: [{ name: 'boom', on: 'text', handle: () => { throw new Error('boom') } }] })
    await loud.send({ type: 'text' })
    const quiet = await kitFor(t, { handlers: [{ name: 'boom', on: 'text', handle: () => { throw new Error('boom') } }], printErrors: false })
    const result = await quiet.send({ type: 'text' })
    process.stderr.write = write
    assert.deepEqual(written, ['weibo-fanbot kit: handler boom failed (WEIBO_ERR_HANDLER_THREW): boom\n'])
    assert.equal(result.error?.code, 'WEIBO_ERR_HANDLER_THREW')
  })
})

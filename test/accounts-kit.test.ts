import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { buildApp } from '../src/app.ts'
import { defineHandler, isFanbotError, text } from '../src/index.ts'
import { createTestKit, KIT_SECRET, makePush, pushToJson, type TestKit, type TestKitOptions } from '../src/testing.ts'
import { ACCOUNT_A, ACCOUNT_B, accountHandlers, PATH_B, SECRET_B } from './helpers/accounts.ts'
import { answerGate } from './helpers/deferred.ts'
import { testConfig } from './helpers/config.ts'
import { captureLogs } from './helpers/logs.ts'
import { sendPush } from './helpers/push.ts'

async function twoAccounts (t: TestContext, options: TestKitOptions = {}): Promise<TestKit> {
  const gate = answerGate()
  const kit = await createTestKit({
    handlers: accountHandlers(gate.answered),
    accounts: [{ uid: ACCOUNT_A }, { uid: ACCOUNT_B, callbackPath: PATH_B, appSecret: SECRET_B }],
    printErrors: false,
    ...options
  })
  t.after(async () => { await kit.close() })
  gate.watch(kit.app)
  return kit
}

const FAN = '5000000001'
const replyCalls = (kit: TestKit): Array<{ account?: string, status: number }> => kit.api.calls.filter((call) => call.path.startsWith('/2/messages/reply'))

describe('several accounts on one server (test kit, in memory)', () => {
  test('a late reply to a push for B goes out with B\'s token, one for A with A\'s', async (t) => {
    const kit = await twoAccounts(t)
    const forB = await kit.send({ receiverId: ACCOUNT_B, senderId: FAN, type: 'text', text: 'late' })
    assert.equal(forB.transport, 'active')
    assert.equal(forB.text, `late for ${ACCOUNT_B}`)
    assert.deepEqual(forB.apiCalls.map((call) => [call.account, call.status]), [[ACCOUNT_B, 200]])
    const forA = await kit.send({ receiverId: ACCOUNT_A, senderId: FAN, type: 'text', text: 'late' })
    assert.deepEqual(forA.apiCalls.map((call) => [call.account, call.status]), [[ACCOUNT_A, 200]])
  })

  test('ctx.api is the client of the push\'s account', async (t) => {
    const kit = await twoAccounts(t)
    const result = await kit.send({ receiverId: ACCOUNT_B, senderId: FAN, type: 'text', text: 'api' })
    assert.deepEqual(result.apiCalls.map((call) => [call.account, call.status]), [[ACCOUNT_B, 200]])
  })

  test('sessions are per account: one fan counting with A and with B keeps two counts', async (t) => {
    const kit = await twoAccounts(t)
    assert.equal((await kit.send({ receiverId: ACCOUNT_A, senderId: FAN, type: 'text', text: 'count' })).text, 'n=1')
    assert.equal((await kit.send({ receiverId: ACCOUNT_A, senderId: FAN, type: 'text', text: 'count' })).text, 'n=2')
    assert.equal((await kit.send({ receiverId: ACCOUNT_B, senderId: FAN, type: 'text', text: 'count' })).text, 'n=1')
    assert.deepEqual(await kit.session(FAN, ACCOUNT_A), { n: 2 })
    assert.deepEqual(await kit.session(FAN, ACCOUNT_B), { n: 1 })
  })

  test('reply windows are per account: a fan who wrote to A lately but to B two days ago gets no reply from B', async (t) => {
    let now = Date.UTC(2026, 0, 1)
    const kit = await twoAccounts(t, { now: () => now })
    assert.equal((await kit.send({ receiverId: ACCOUNT_B, senderId: FAN, type: 'text', text: 'count' })).text, 'n=1')
    now += 49 * 3_600_000
    assert.equal((await kit.send({ receiverId: ACCOUNT_A, senderId: FAN, type: 'text', text: 'late' })).transport, 'active')
    const callsBefore = kit.api.calls.length
    // B's window closed a day ago: the bot refuses before calling (a shared key would have found A's open window).
    await assert.rejects(kit.app.fanbot.apis.for(ACCOUNT_B).messages.reply({ receiverId: FAN, reply: text('hello from B') }),
      (error: unknown) => isFanbotError(error) && error.code.startsWith('WEIBO_ERR_QUOTA_'))
    assert.equal(kit.api.calls.length, callsBefore)
    await kit.app.fanbot.apis.for(ACCOUNT_A).messages.reply({ receiverId: FAN, reply: text('hello from A') })
    assert.deepEqual(replyCalls(kit).map((call) => [call.account, call.status]), [[ACCOUNT_A, 200], [ACCOUNT_A, 200]])
  })

  test('reply quotas are per account: A\'s quota used up leaves B\'s whole', async (t) => {
    const kit = await twoAccounts(t, { rules: { repliesPerWindow: 1 } })
    await kit.send({ receiverId: ACCOUNT_A, senderId: FAN, type: 'text', text: 'count' })
    await kit.send({ receiverId: ACCOUNT_B, senderId: FAN, type: 'text', text: 'count' })
    // One key per fan would have used B's reply on A's second one (and refused B's).
    await kit.app.fanbot.apis.for(ACCOUNT_A).messages.reply({ receiverId: FAN, reply: text('1') })
    await assert.rejects(kit.app.fanbot.apis.for(ACCOUNT_A).messages.reply({ receiverId: FAN, reply: text('2') }),
      (error: unknown) => isFanbotError(error) && error.code.startsWith('WEIBO_ERR_QUOTA_'))
    await kit.app.fanbot.apis.for(ACCOUNT_B).messages.reply({ receiverId: FAN, reply: text('1') })
    assert.deepEqual(replyCalls(kit).map((call) => [call.account, call.status]), [[ACCOUNT_A, 200], [ACCOUNT_B, 200]])
  })

  test('a handler limited to A never runs for B, a middleware limited to B never for A', async (t) => {
    const kit = await twoAccounts(t)
    const forA = await kit.send({ receiverId: ACCOUNT_A, type: 'text', text: 'who' })
    assert.deepEqual([forA.handler, forA.text], ['a-only', 'A only'])
    const forB = await kit.send({ receiverId: ACCOUNT_B, type: 'text', text: 'who' })
    assert.deepEqual([forB.handler, forB.text], ['anyone', 'anyone'])
    assert.equal((await kit.send({ receiverId: ACCOUNT_A, type: 'text', text: 'brand' })).text, 'none')
    assert.equal((await kit.send({ receiverId: ACCOUNT_B, type: 'text', text: 'brand' })).text, 'B')
  })

  test('a push stream record names no receiving account: it reaches only handlers without an accounts filter', async (t) => {
    const kit = await twoAccounts(t, {
      handlers: [
        defineHandler({ name: 'a-status', on: 'status', accounts: [ACCOUNT_A], handle: () => undefined }),
        defineHandler({ name: 'any-status', on: 'status', priority: -1, handle: () => undefined })
      ]
    })
    assert.equal((await kit.publish({ text: '青柚', uid: '3102' })).handler, 'any-status')
  })

  test('a push for an account not in the file: blank 200, one warn line with the code, counted; no handler runs', async (t) => {
    const logs = captureLogs('info')
    const kit = await twoAccounts(t, { logger: logs.logger })
    const result = await kit.send({ receiverId: '3000000003', senderId: FAN, type: 'text', text: 'count' })
    assert.equal(result.transport, 'none')
    assert.deepEqual(result.tries.map((attempt) => [attempt.status, attempt.body]), [[200, '']])
    assert.equal(result.handler, undefined)
    const lines = logs.lines().filter((line) => (line.push as { code?: string } | undefined)?.code === 'WEIBO_ERR_ACCOUNT_UNKNOWN')
    assert.equal(lines.length, 1)
    assert.equal(lines[0]?.level, 40)
    assert.deepEqual(lines[0]?.push, { type: 'text', receiver: '3000000003', sender: FAN, outcome: 'unknown-account', code: 'WEIBO_ERR_ACCOUNT_UNKNOWN', durationMs: (lines[0]?.push as { durationMs: number }).durationMs })
    const metrics = (await kit.app.inject({ url: '/metrics' })).body
    assert.match(metrics, /weibo_fanbot_pushes_total\{type="text",outcome="unknown-account",account="unknown"\} 1/)
    assert.deepEqual(await kit.session(FAN, '3000000003'), {})
  })

  test('the account label on pushes and late replies is the uid', async (t) => {
    const kit = await twoAccounts(t)
    await kit.send({ receiverId: ACCOUNT_B, type: 'text', text: 'late' })
    await kit.send({ receiverId: ACCOUNT_A, type: 'text', text: 'who' })
    const metrics = (await kit.app.inject({ url: '/metrics' })).body
    assert.match(metrics, new RegExp(`weibo_fanbot_pushes_total\\{type="text",outcome="active",account="${ACCOUNT_B}"\\} 1`))
    assert.match(metrics, new RegExp(`weibo_fanbot_pushes_total\\{type="text",outcome="passive",account="${ACCOUNT_A}"\\} 1`))
    assert.match(metrics, new RegExp(`weibo_fanbot_late_replies_total\\{outcome="sent",account="${ACCOUNT_B}"\\} 1`))
  })

  test('each path is verified with its own secret: A\'s secret on B\'s path is 401; B\'s push on A\'s path is not A\'s', async (t) => {
    const kit = await twoAccounts(t)
    const forB = pushToJson(makePush({ receiverId: ACCOUNT_B, type: 'text', text: 'who' }))
    assert.equal((await sendPush(kit.app, forB, { path: PATH_B, secret: KIT_SECRET })).statusCode, 401)
    const signed = await sendPush(kit.app, forB, { path: PATH_B, secret: SECRET_B })
    assert.equal(signed.statusCode, 200)
    assert.notEqual(signed.body, '')
    // Rightly signed for A's path, but B is not an account of that path: blank, not handled with A's state.
    const wrongPath = await sendPush(kit.app, pushToJson(makePush({ receiverId: ACCOUNT_B, type: 'text', text: 'who' })), { path: '/weibo', secret: KIT_SECRET })
    assert.deepEqual([wrongPath.statusCode, wrongPath.body], [200, ''])
  })

  test('an accounts filter naming a uid not in the file fails the start with a did-you-mean', async () => {
    const error = await buildApp({
      config: testConfig(),
      accounts: [{ uid: ACCOUNT_A, accessToken: 'token-a' }, { uid: ACCOUNT_B, accessToken: 'token-b', callbackPath: PATH_B }],
      handlers: [defineHandler({ name: 'typo', on: 'text', accounts: ['1902538058'], handle: () => text('x') })]
    }).then(() => undefined, (caught: unknown) => caught)
    assert.ok(isFanbotError(error, 'WEIBO_ERR_HANDLER_INVALID'), String(error))
    assert.match(error.message, /\(typo\): accounts lists 1902538058, which is not an account of WEIBO_ACCOUNTS_FILE \(did you mean '1902538057'\?\)/)
  })

  test('an accounts filter must list uids', async () => {
    const error = await buildApp({ config: testConfig(), handlers: [{ on: 'text', accounts: [1902538057], handle: () => text('x') } as never] })
      .then(() => undefined, (caught: unknown) => caught)
    assert.ok(isFanbotError(error, 'WEIBO_ERR_HANDLER_INVALID'), String(error))
    assert.match(error.message, /expected string, received number → at accounts\[0\]/)
  })
})

import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { deadUrl, runCli, runInProcess, tempDir } from '../helpers/cli.ts'
import { EXAMPLES_DIR } from '../helpers/examples.ts'

// Plain JS handler modules, as a user might write them: "fast" answers within the deadline, "slow" after it;
// "after unfollow" answers late too, after 3 s: the fan's unfollow, typed next, must reach the bot (its quota records
// it on arrival) before that reply is sent. It cannot wait for the unfollow itself: a fan's pushes are handled one at a
// time, so the unfollow's own handlers run only after this one ends.
const HANDLERS = `
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
export default [
  { on: 'text', match: 'fast', handle: () => ({ type: 'text', text: 'quick answer' }) },
  { on: 'text', match: 'slow', handle: async () => { await sleep(600); return { type: 'text', text: 'slow answer' } } },
  { on: 'text', match: 'after unfollow', handle: async () => { await sleep(3000); return { type: 'text', text: 'slow answer' } } }
]
`

/** The env of a chat whose in-process bot loads HANDLERS, with a 100 ms passive deadline. */
async function chatEnv (t: TestContext): Promise<Record<string, string>> {
  const dir = await tempDir(t, 'cli-chat-')
  await writeFile(path.join(dir, 'bot.mjs'), HANDLERS)
  return { HANDLERS_DIR: dir, REPLY_DEADLINE_MS: '100', LOG_LEVEL: 'silent' }
}

describe('weibo-fanbot chat with piped input, against the bot it starts itself', { concurrency: true }, () => {
  test('a fast and a slow handler: one reply passive, one late through the fake API, each marked; exit 0 at EOF', async (t) => {
    const run = await runCli(['chat'], { env: await chatEnv(t), input: 'fast\nslow\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    const lines = run.stdout.split('\n')
    const at = (line: string): number => lines.indexOf(line)
    assert.ok(at('fan: fast') >= 0, run.stdout)
    assert.ok(at('bot (passive): quick answer') > at('fan: fast'), run.stdout)
    assert.ok(at('fan: slow') > at('bot (passive): quick answer'), run.stdout)
    assert.ok(at('bot (late, via messages/reply): slow answer') > at('fan: slow'), run.stdout)
    assert.equal(lines.filter((line) => line.startsWith('bot (')).length, 2, run.stdout)
  })

  test('--account twice: the fan writes to the first, /account switches, and each account answers (late replies too)', async (t) => {
    const env = await chatEnv(t)
    await writeFile(path.join(env.HANDLERS_DIR ?? '', 'who.mjs'), "export default { on: 'text', match: 'who', handle: (m) => ({ type: 'text', text: 'account ' + m.receiver_id }) }\n")
    const run = await runInProcess(['chat', '--account', '1902538057', '--account', '2000000002'], { env, input: 'who\n/account 2000000002\nwho\nslow\n/account\n/account 3000000003\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^accounts +1902538057, 2000000002: \/account UID writes to another$/m)
    const lines = run.stdout.split('\n')
    const at = (line: string): number => lines.indexOf(line)
    assert.ok(at('bot (passive): account 1902538057') > 0, run.stdout)
    assert.ok(at('     (now writing to the bot account 2000000002)') > at('bot (passive): account 1902538057'), run.stdout)
    assert.ok(at('bot (passive): account 2000000002') > at('     (now writing to the bot account 2000000002)'), run.stdout)
    assert.ok(at('bot (late, via messages/reply): slow answer') > at('fan: slow'), run.stdout)
    assert.ok(at('     (writing to 2000000002; the accounts are 1902538057, 2000000002)') > 0, run.stdout)
    assert.ok(at('     (3000000003 is not one of the accounts chat plays (1902538057, 2000000002))') > 0, run.stdout)
  })

  test('with WEIBO_ACCOUNTS_FILE: chat plays the file\'s accounts with the fake\'s tokens (the file\'s are real)', async (t) => {
    const env = await chatEnv(t)
    const file = path.join(await tempDir(t, 'cli-chat-accounts-'), 'accounts.json')
    await writeFile(file, JSON.stringify([{ uid: '1902538057', accessToken: 'real-token-a' }, { uid: '2000000002', accessToken: 'real-token-b', callbackPath: '/weibo/b' }]))
    const run = await runInProcess(['chat'], { env: { ...env, WEIBO_ACCOUNTS_FILE: file }, input: '/account 2000000002\nslow\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^accounts +1902538057, 2000000002/m)
    assert.ok(run.stdout.includes('bot (late, via messages/reply): slow answer'), run.stdout)
  })

  test('/unfollow before a late reply: the bot does not send it (WEIBO_ERR_QUOTA_UNFOLLOWED), and chat says why', async (t) => {
    const run = await runInProcess(['chat'], { env: await chatEnv(t), input: 'after unfollow\n/unfollow\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^fan: \[event unfollow\]$/m)
    assert.match(run.stdout, /^the bot did not send its reply \(WEIBO_ERR_QUOTA_UNFOLLOWED\): .*unfollowed/m)
    assert.doesNotMatch(run.stdout, /slow answer/)
  })

  test('with the bot\'s own checks off, the fake API refuses the same reply (20301), and chat shows the refusal', async (t) => {
    const run = await runInProcess(['chat'], { env: { ...await chatEnv(t), REPLY_QUOTA_ENFORCE: 'false' }, input: 'after unfollow\n/unfollow\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^fan: \[event unfollow\]$/m)
    assert.match(run.stdout, /^weibo refused the bot's reply \(POST \/2\/messages\/reply\.json, HTTP 403\): error_code 20301, .*unfollowed/m)
    assert.doesNotMatch(run.stdout, /slow answer/)
  })

  test('slash-command mistakes are explained and the chat goes on; /quit ends it', async (t) => {
    const run = await runInProcess(['chat'], { env: await chatEnv(t), input: '/position north\n/teleport\nfast\n/quit\nfast\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /\(\/position needs LAT LON as decimal numbers/)
    assert.match(run.stdout, /\(unknown command \/teleport; \/help lists them/)
    assert.equal(run.stdout.split('\n').filter((line) => line === 'bot (passive): quick answer').length, 1)
  })
})

describe('weibo-fanbot chat shows a failed handler inline, not as silence', () => {
  test('an invalid reply and a throw: which handler, the code, one readable line each; no "blank answer" for them', async (t) => {
    const dir = await tempDir(t, 'cli-chat-fail-')
    await writeFile(path.join(dir, 'bot.mjs'), `export default [
  { name: 'price', on: 'text', match: 'price', handle: () => ({ type: 'text', content: 'hi' }) },
  { name: 'greet', on: 'text', match: 'hi', handle: (message, ctx) => ctx.api.txt('hello') },
  { name: 'quiet', on: 'text', match: 'quiet', handle: () => undefined }
]
`)
    const run = await runInProcess(['chat'], { env: { HANDLERS_DIR: dir, LOG_LEVEL: 'silent' }, input: 'price\nhi\nquiet\n' })
    assert.equal(run.code, 0, run.stderr)
    const lines = run.stdout.split('\n')
    const after = (fan: string): string | undefined => lines[lines.indexOf(`fan: ${fan}`) + 1]
    assert.equal(after('price'), '     (handler price failed (WEIBO_ERR_REPLY_INVALID): returned a reply Weibo would reject: ' +
      'Invalid input: expected string, received undefined → at text; Unrecognized key: "content")', run.stdout)
    assert.equal(after('hi'), '     (handler greet failed (WEIBO_ERR_HANDLER_THREW): ctx.api.txt is not a function)', run.stdout)
    assert.equal(after('quiet'), '     (blank answer: no reply now)', run.stdout)
    assert.equal(lines.filter((line) => line.includes('blank answer')).length, 1, run.stdout)
  })
})

/** The env of a chat whose in-process bot loads the shipped example handlers. */
const EXAMPLES_ENV = { HANDLERS_DIR: EXAMPLES_DIR, LOG_LEVEL: 'silent' }
const DIRECT_MESSAGE = 'bot (active, via direct_messages/send): '

describe('weibo-fanbot chat: the push stream and every Weibo host, with the shipped example handlers', { concurrency: true }, () => {
  test('/follow then /status: the bot holds the stream, and its direct message prints after the fan\'s weibo', async () => {
    const run = await runInProcess(['chat'], { env: EXAMPLES_ENV, input: '/follow\n/status 今天喝了青柚\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    assert.match(run.stdout, /^stream +on: the bot holds the fake push stream \(subid \d+\)/m)
    const lines = run.stdout.split('\n')
    const posted = lines.indexOf('fan: [weibo on the push stream] 今天喝了青柚')
    const answered = lines.findIndex((line) => line.startsWith(DIRECT_MESSAGE) && line.includes('看到你提到了青柚茶饮'))
    assert.ok(posted >= 0 && answered > posted, run.stdout)
  })

  test('/status by a fan who does not follow: the fake refuses the direct message (20301), and chat shows it', async () => {
    const run = await runInProcess(['chat'], { env: EXAMPLES_ENV, input: '/status 青柚\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^fan: \[weibo on the push stream\] 青柚$/m)
    assert.match(run.stdout, /^weibo refused the bot's direct message \(POST \/2\/direct_messages\/send\.json, HTTP 403\): error_code 20301,/m)
    assert.ok(!run.stdout.includes(DIRECT_MESSAGE), run.stdout)
  })

  test('/status without TEXT is explained; each stream record is handled before the next line is read', async () => {
    const run = await runInProcess(['chat'], { env: EXAMPLES_ENV, input: '/status\n/comment\n/follow\n/status 青柚真好喝\n/comment 好评\n你好\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^ +\(\/status needs the weibo's TEXT, e\.g\. \/status /m)
    assert.match(run.stdout, /^ +\(\/comment needs the comment's TEXT/m)
    const lines = run.stdout.split('\n')
    const at = (prefix: string): number => lines.findIndex((line) => line.startsWith(prefix))
    assert.ok(at(DIRECT_MESSAGE) > at('fan: [weibo on the push stream] 青柚真好喝'), run.stdout)
    assert.ok(at('fan: [comment on the push stream] 好评') > at(DIRECT_MESSAGE), run.stdout)
    // The example handles weibos only: the comment gets nothing, and chat says so before reading on.
    assert.ok(at('     (the bot sent nothing in answer: no comment handler matched') > at('fan: [comment on the push stream]'), run.stdout)
    assert.ok(at('fan: 你好') > at('     (the bot sent nothing in answer'), run.stdout)
  })

  test('/image: the example handler downloads the picture from the fake upload host and describes it', async () => {
    const run = await runInProcess(['chat'], { env: EXAMPLES_ENV, input: '/image\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^bot \(passive\): 图片收到啦（[^）]*KB）/m)
    assert.doesNotMatch(run.stdout, /暂时没能打开它/)
  })

  test('with --url, the banner lists every host and the stream variables; /status publishes and says what chat cannot see', async () => {
    const run = await runInProcess(['chat', '--url', await deadUrl(), '--secret='], { input: '/status 青柚\n' })
    assert.equal(run.code, 0, run.stderr)
    const api = /^weibo api +fake, at (http:\/\/127\.0\.0\.1:\d+)$/m.exec(run.stdout)?.[1]
    assert.ok(api !== undefined, run.stdout)
    for (const name of ['WEIBO_API_BASE_URL', 'WEIBO_C_API_BASE_URL', 'WEIBO_UPLOAD_API_BASE_URL', 'WEIBO_OPEN_API_BASE_URL']) {
      assert.ok(run.stdout.includes(` ${name}=${api}\n`), name)
    }
    assert.match(run.stdout, /^ +WEIBO_ACCESS_TOKEN=weibo-fanbot-chat$/m)
    assert.match(run.stdout, /^ +WEIBO_PUSH_SUBID=\d+$/m)
    assert.ok(run.stdout.includes(` WEIBO_PUSH_URL=${api}/commercial/push\n`), run.stdout)
    assert.match(run.stdout, /^fan: \[weibo on the push stream\] 青柚\n +\(published on the push stream: chat cannot see a server handle it/m)
  })
})

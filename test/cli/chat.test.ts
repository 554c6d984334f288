import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { runCli, tempDir } from '../helpers/cli.ts'

// Plain JS handler modules, as a user might write them: "fast" answers within the deadline, "slow" after it.
const HANDLERS = `
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
export default [
  { on: 'text', match: 'fast', handle: () => ({ type: 'text', text: 'quick answer' }) },
  { on: 'text', match: 'slow', handle: async () => { await sleep(600); return { type: 'text', text: 'slow answer' } } }
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

  test('/unfollow before a late reply: the bot does not send it (WEIBO_ERR_QUOTA_UNFOLLOWED), and chat says why', async (t) => {
    const run = await runCli(['chat'], { env: await chatEnv(t), input: 'slow\n/unfollow\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^fan: \[event unfollow\]$/m)
    assert.match(run.stdout, /^the bot did not send its reply \(WEIBO_ERR_QUOTA_UNFOLLOWED\): .*unfollowed/m)
    assert.doesNotMatch(run.stdout, /slow answer/)
  })

  test('with the bot\'s own checks off, the fake API refuses the same reply (20301), and chat shows the refusal', async (t) => {
    const run = await runCli(['chat'], { env: { ...await chatEnv(t), REPLY_QUOTA_ENFORCE: 'false' }, input: 'slow\n/unfollow\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^fan: \[event unfollow\]$/m)
    assert.match(run.stdout, /^weibo refused the bot's reply \(POST \/2\/messages\/reply\.json, HTTP 403\): error_code 20301, .*unfollowed/m)
    assert.doesNotMatch(run.stdout, /slow answer/)
  })

  test('slash-command mistakes are explained and the chat goes on; /quit ends it', async (t) => {
    const run = await runCli(['chat'], { env: await chatEnv(t), input: '/position north\n/teleport\nfast\n/quit\nfast\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /\(\/position needs LAT LON as decimal numbers/)
    assert.match(run.stdout, /\(unknown command \/teleport; \/help lists them/)
    assert.equal(run.stdout.split('\n').filter((line) => line === 'bot (passive): quick answer').length, 1)
  })
})

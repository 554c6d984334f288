import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { ACCOUNT_A, ACCOUNT_B, PATH_B, SECRET_B } from './helpers/accounts.ts'
import { TEST_SECRET } from './helpers/config.ts'
import { lateHandlerSource, markAnswered, waitFor } from './helpers/deferred.ts'
import { fixtureWith, signedQuery } from './helpers/push.ts'
import { startServerProcess } from './helpers/server-process.ts'
import { listenFakeApi } from './helpers/simulator-api.ts'

const TOKEN_A = 'process-token-a'
const TOKEN_B = 'process-token-b'

async function folder (t: TestContext, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fanbot-main-accounts-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  for (const [name, source] of Object.entries(files)) await writeFile(path.join(dir, name), source)
  return dir
}

// JavaScript: the server then runs compiled, on plain node (test/helpers/server-process.ts). Late for sure: it answers
// once the test, having the push's blank answer, marks it answered (a 300 ms sleep raced the deadline's timer).
const SLOW = lateHandlerSource("'late from ' + message.receiver_id")

describe('the server process with WEIBO_ACCOUNTS_FILE', () => {
  test('serves both callback paths, each with its secret; B\'s late reply carries B\'s token; an unknown receiver gets a blank 200', async (t) => {
    const api = await listenFakeApi(t, { accessToken: TOKEN_A, accountId: ACCOUNT_A, moreAccounts: [{ uid: ACCOUNT_B, accessToken: TOKEN_B }] })
    const dir = await folder(t, {
      'slow.js': SLOW,
      'accounts.json': JSON.stringify([{ uid: ACCOUNT_A, accessToken: TOKEN_A }, { uid: ACCOUNT_B, accessToken: TOKEN_B, appSecret: SECRET_B, callbackPath: PATH_B }])
    })
    const server = startServerProcess({
      env: { HANDLERS_DIR: dir, WEIBO_ACCOUNTS_FILE: path.join(dir, 'accounts.json'), WEIBO_APP_SECRET: TEST_SECRET, WEIBO_API_BASE_URL: api.baseUrl, REPLY_DEADLINE_MS: '100' }
    })
    t.after(() => { if (server.child.exitCode === null) server.child.kill('SIGKILL') })
    const base = await server.ready
    assert.doesNotMatch(server.stdout(), /SIGNATURE VERIFICATION IS OFF|dry run/)
    await waitFor(() => server.stdout().includes('weibo-fanbot is ready'))
    const ready = server.stdout().split('\n').find((line) => line.includes('weibo-fanbot is ready'))
    assert.match(ready ?? '', new RegExp(`"accounts":\\[\\{"uid":"${ACCOUNT_A}","callbackPath":"/weibo"\\},\\{"uid":"${ACCOUNT_B}","callbackPath":"${PATH_B}"\\}\\]`))
    api.recordFanActivity({ type: 'text', sender_id: '2489518277', receiver_id: ACCOUNT_B, text: 'hi' })

    const forB = fixtureWith('text', { receiver_id: Number(ACCOUNT_B), sender_id: 2489518277 })
    assert.equal((await fetch(`${base}${PATH_B}?${signedQuery({ secret: TEST_SECRET })}`, { method: 'POST', body: forB })).status, 401)
    const answered = await fetch(`${base}${PATH_B}?${signedQuery({ secret: SECRET_B })}`, { method: 'POST', body: forB })
    assert.deepEqual([answered.status, await answered.text()], [200, ''])
    await markAnswered(dir)
    await waitFor(() => api.calls.some((call) => call.path === '/2/messages/reply.json'))
    const reply = api.calls.find((call) => call.path === '/2/messages/reply.json')
    assert.deepEqual([reply?.account, reply?.status, JSON.parse(reply?.params.data ?? '{}')], [ACCOUNT_B, 200, { text: `late from ${ACCOUNT_B}` }])

    const unknown = fixtureWith('text', { receiver_id: 3000000003 })
    const blank = await fetch(`${base}/weibo?${signedQuery({ secret: TEST_SECRET })}`, { method: 'POST', body: unknown })
    assert.deepEqual([blank.status, await blank.text()], [200, ''])
    await waitFor(() => server.stdout().includes('WEIBO_ERR_ACCOUNT_UNKNOWN'))
    server.child.kill('SIGTERM')
    assert.equal(await server.exited, 0)
  })

  test('a bad accounts file stops the start with every problem', async (t) => {
    const dir = await folder(t, { 'accounts.json': JSON.stringify([{ uid: ACCOUNT_A }, { uid: ACCOUNT_A, accessToken: 'x' }, { uid: ACCOUNT_A, accessToken: 'y' }]) })
    const server = startServerProcess({ env: { WEIBO_ACCOUNTS_FILE: path.join(dir, 'accounts.json') } })
    assert.equal(await server.exited, 1)
    assert.match(server.stderr(), /WEIBO_ERR_ACCOUNTS_INVALID/)
    assert.match(server.stderr(), /\[0\]\.accessToken/)
    assert.match(server.stderr(), /duplicate uid 1902538057 \(also at \[1\]\) → at \[2\]\.uid/)
  })
})

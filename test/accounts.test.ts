import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { rm } from 'node:fs/promises'
import { loadAccounts } from '../src/accounts.ts'
import { loadConfig } from '../src/config.ts'
import { isFanbotError, type FanbotError } from '../src/errors.ts'
import { testConfig } from './helpers/config.ts'

const A = '1902538057'
const B = '2000000002'

async function accountsFile (t: TestContext, content: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fanbot-accounts-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = path.join(dir, 'accounts.json')
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

async function refusal (promise: Promise<unknown>): Promise<FanbotError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught)
  assert.ok(isFanbotError(error, 'WEIBO_ERR_ACCOUNTS_INVALID'), `expected WEIBO_ERR_ACCOUNTS_INVALID, got ${String(error)}`)
  return error
}

describe('WEIBO_ACCOUNTS_FILE', () => {
  test('without a file: one account from the single-account variables, taking every receiver_id', async () => {
    const accounts = await loadAccounts(testConfig({ WEIBO_ACCESS_TOKEN: 'token-1', CALLBACK_PATH: '/cb' }))
    assert.equal(accounts.list.length, 1)
    assert.deepEqual(accounts.list[0], { uid: undefined, accessToken: 'token-1', appSecret: 'test-app-secret-xyz', callbackPath: '/cb', label: 'default' })
    assert.equal(accounts.find('123')?.label, 'default')
    assert.deepEqual(accounts.endpoints, [{ path: '/cb', appSecret: 'test-app-secret-xyz', uids: undefined }])
  })

  test('an entry without appSecret or callbackPath inherits WEIBO_APP_SECRET and CALLBACK_PATH; accounts sharing a path share its endpoint', async (t) => {
    const file = await accountsFile(t, [
      { uid: A, accessToken: 'token-a' },
      { uid: B, accessToken: 'token-b', appSecret: 'secret-b', callbackPath: '/weibo/brand-b' },
      { uid: '3000000003', accessToken: 'token-c' }
    ])
    const accounts = await loadAccounts(testConfig({ WEIBO_ACCOUNTS_FILE: file }))
    assert.deepEqual(accounts.list.map((account) => [account.uid, account.appSecret, account.callbackPath, account.label]), [
      [A, 'test-app-secret-xyz', '/weibo', A],
      [B, 'secret-b', '/weibo/brand-b', B],
      ['3000000003', 'test-app-secret-xyz', '/weibo', '3000000003']
    ])
    assert.deepEqual(accounts.endpoints.map((endpoint) => [endpoint.path, endpoint.appSecret, [...endpoint.uids ?? []]]), [
      ['/weibo', 'test-app-secret-xyz', [A, '3000000003']],
      ['/weibo/brand-b', 'secret-b', [B]]
    ])
    assert.equal(accounts.find(B)?.accessToken, 'token-b')
    assert.equal(accounts.find('999'), undefined)
    assert.equal(accounts.labelOf('999'), 'unknown')
  })

  test('every problem of the file is reported at once, each with where it is', async (t) => {
    const file = await accountsFile(t, [
      { uid: A, accessToken: 'token-a' },
      { uid: 'brand-b', accessToken: 'token-b' },
      { uid: '4000000004' },
      { uid: 5000000005, accessToken: 'token-e' },
      { uid: '6000000006', acessToken: 'token-f' },
      { uid: A, accessToken: 'token-a2' }
    ])
    const error = await refusal(loadAccounts(testConfig({ WEIBO_ACCOUNTS_FILE: file })))
    assert.match(error.message, new RegExp(`${file}: 6 problems`))
    assert.match(error.message, /digits only → at \[1\]\.uid/)
    assert.match(error.message, /accessToken.*is required|is required: the fan-service access token of this account → at \[2\]\.accessToken/)
    assert.match(error.message, /quoted digit string → at \[3\]\.uid/)
    assert.match(error.message, /unknown key "acessToken" \(did you mean "accessToken"\?\).*→ at \[4\]/)
    // The entries that are valid alone are still checked against each other.
    assert.match(error.message, /duplicate uid 1902538057 \(also at \[0\]\) → at \[5\]\.uid/)
  })

  test('duplicate uids, and one callback path with two secrets, are refused', async (t) => {
    const file = await accountsFile(t, [
      { uid: A, accessToken: 'token-a' },
      { uid: A, accessToken: 'token-a2' },
      { uid: B, accessToken: 'token-b', appSecret: 'secret-b' }
    ])
    const error = await refusal(loadAccounts(testConfig({ WEIBO_ACCOUNTS_FILE: file })))
    assert.match(error.message, /duplicate uid 1902538057 \(also at \[0\]\) → at \[1\]\.uid/)
    assert.match(error.message, /duplicate callbackPath \/weibo with another app secret than \[0\].*→ at \[2\]\.callbackPath/)
  })

  test('a missing file, a file that is not JSON, an empty list and a reserved path are refused with what is wrong', async (t) => {
    assert.match((await refusal(loadAccounts(testConfig({ WEIBO_ACCOUNTS_FILE: '/nonexistent/accounts.json' })))).message, /cannot be read \(ENOENT\)/)
    assert.match((await refusal(loadAccounts(testConfig({ WEIBO_ACCOUNTS_FILE: await accountsFile(t, '[{"uid": ') })))).message, /not valid JSON/)
    assert.match((await refusal(loadAccounts(testConfig({ WEIBO_ACCOUNTS_FILE: await accountsFile(t, []) })))).message, /at least one account/)
    const reserved = await accountsFile(t, [{ uid: A, accessToken: 'token-a', callbackPath: '/metrics' }])
    assert.match((await refusal(loadAccounts(testConfig({ WEIBO_ACCOUNTS_FILE: reserved })))).message, /server's own paths/)
  })

  test('in production every account needs a secret, its own or WEIBO_APP_SECRET; the file stands in for the variable', async (t) => {
    const file = await accountsFile(t, [{ uid: A, accessToken: 'token-a', appSecret: 'secret-a' }, { uid: B, accessToken: 'token-b', callbackPath: '/b' }])
    const config = loadConfig({ NODE_ENV: 'production', WEIBO_ACCOUNTS_FILE: file })
    const error = await refusal(loadAccounts(config))
    assert.match(error.message, /no app secret.*→ at \[1\]\.appSecret/)
    assert.doesNotMatch(error.message, /\[0\]/)
    const required = loadConfig({ WEIBO_ACCOUNTS_FILE: file }, { requireAppSecret: true })
    assert.match((await refusal(loadAccounts(required))).message, /→ at \[1\]\.appSecret/)
  })

  test('WEIBO_ACCESS_TOKEN beside WEIBO_ACCOUNTS_FILE is a config error: each account carries its own token', () => {
    assert.throws(() => loadConfig({ WEIBO_ACCOUNTS_FILE: 'accounts.json', WEIBO_ACCESS_TOKEN: 'x' }),
      (error: unknown) => isFanbotError(error, 'WEIBO_ERR_CONFIG_INVALID') && /must not be set with WEIBO_ACCOUNTS_FILE/.test(error.message))
  })
})

import assert from 'node:assert/strict'
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { TEST_SECRET, TEST_TOKEN } from './helpers/config.ts'
import { waitFor } from './helpers/deferred.ts'
import { freePort } from './helpers/ports.ts'
import { fixture, signedQuery } from './helpers/push.ts'
import { startServerProcess, type ServerProcess } from './helpers/server-process.ts'
import { fanWrites, listenFakeApi, sentData } from './helpers/simulator-api.ts'

async function waitForFile (file: string): Promise<void> {
  await waitFor(async () => await access(file).then(() => true, () => false), 60_000, 10)
}

async function handlersDir (t: TestContext, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fanbot-main-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  for (const [name, source] of Object.entries(files)) await writeFile(path.join(dir, name), source)
  return dir
}

/**
 * Handlers in JavaScript for the tests that are not about them: the server then runs compiled, on plain node
 * (test/helpers/server-process.ts). The example handlers are TypeScript, which needs tsx: the first test and
 * `npm start` run those.
 */
const ECHO = { 'echo.js': "export default { on: 'text', handle: (message) => ({ type: 'text', text: 'echo: ' + message.text }) }\n" }

/**
 * The server's whole process group (startServerProcess starts it detached): `npm run dev` and `npm start` are npm,
 * tsx and the server, and a test that failed before it stopped them left them running, holding this file's process
 * open until the runner's 10-minute limit.
 */
function stopAtEnd (t: TestContext, server: ServerProcess): void {
  t.after(() => {
    const pid = server.child.pid
    if (pid !== undefined) try { process.kill(-pid, 'SIGKILL') } catch {}
  })
}

describe('the server process (src/main.ts)', () => {
  test('starts with embedded defaults, warns loudly that verification is off, answers /healthz, exits 0 on SIGTERM', async (t) => {
    const server = startServerProcess({ env: {} })
    stopAtEnd(t, server)
    const base = await server.ready
    const health = await fetch(`${base}/healthz`)
    assert.equal(health.status, 200)
    assert.match(server.stdout(), /SIGNATURE VERIFICATION IS OFF/)
    assert.match(server.stdout(), /dry run/)
    server.child.kill('SIGTERM')
    assert.equal(await server.exited, 0)
  })

  test('a bad configuration exits 1 and names every bad variable at once', async () => {
    const server = startServerProcess({ env: { PORT: 'eighty', LOG_LEVEL: 'loud', REPLY_DEADLINE_MS: '9000', NODE_ENV: 'production' }, refusedAtConfig: true })
    assert.equal(await server.exited, 1)
    const stderr = server.stderr()
    assert.match(stderr, /WEIBO_ERR_CONFIG_INVALID/)
    for (const key of ['PORT', 'LOG_LEVEL', 'REPLY_DEADLINE_MS', 'WEIBO_APP_SECRET']) assert.match(stderr, new RegExp(key))
  })

  test('an invalid handler module stops the start with an error naming the file', async (t) => {
    const dir = await handlersDir(t, { 'broken.js': 'export default { on: "txt", handle () {} }\n' })
    const server = startServerProcess({ env: { HANDLERS_DIR: dir } })
    assert.equal(await server.exited, 1)
    assert.match(server.stderr(), /WEIBO_ERR_HANDLER_INVALID/)
    assert.match(server.stderr(), /broken\.js/)
  })

  test('SIGTERM finishes the open request and the pending late reply, then exits 0; new connections are refused', async (t) => {
    const api = await listenFakeApi(t)
    fanWrites(api) // the fixture's fan, so the late reply is inside the fan's reply window
    const dir = await handlersDir(t, {
      'slow.js': [
        "import { writeFileSync } from 'node:fs'",
        'export default { on: \'text\', async handle () {',
        // The test signals the server only once the push is inside the handler: a SIGTERM that came before the
        // request reached the server would rightly get a 503 (Weibo retries it), which is not what this test is about.
        "  writeFileSync(new URL('started', import.meta.url), '')",
        '  await new Promise((resolve) => setTimeout(resolve, 400))',
        "  return { type: 'text', text: 'slow but sure' }",
        '} }',
        ''
      ].join('\n')
    })
    const server = startServerProcess({
      env: {
        HANDLERS_DIR: dir,
        WEIBO_APP_SECRET: TEST_SECRET,
        WEIBO_ACCESS_TOKEN: TEST_TOKEN,
        WEIBO_API_BASE_URL: api.baseUrl,
        REPLY_DEADLINE_MS: '100'
      }
    })
    stopAtEnd(t, server)
    const base = await server.ready
    const pushed = fetch(`${base}/weibo?${signedQuery()}`, { method: 'POST', body: fixture('text') })
    await waitForFile(path.join(dir, 'started'))
    server.child.kill('SIGTERM')
    const response = await pushed
    assert.equal(response.status, 200)
    assert.equal(await response.text(), '')
    assert.equal(await server.exited, 0)
    assert.equal(api.calls.length, 1, 'the late reply went out before the process exited')
    assert.equal(api.calls[0]?.status, 200, 'Weibo accepted the late reply')
    assert.deepEqual(sentData(api.calls[0]), { text: 'slow but sure' })
    await assert.rejects(fetch(`${base}/healthz`))
  })

  test('with SHUTDOWN_DRAIN_DELAY_MS, SIGTERM first turns /readyz to 503 while still serving, then exits 0', async (t) => {
    const server = startServerProcess({ env: { SHUTDOWN_DRAIN_DELAY_MS: '400', HANDLERS_DIR: await handlersDir(t, ECHO) } })
    stopAtEnd(t, server)
    const base = await server.ready
    assert.equal((await fetch(`${base}/readyz`)).status, 200)
    server.child.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const draining = await fetch(`${base}/readyz`)
    assert.equal(draining.status, 503)
    assert.equal((await draining.json() as { status: string }).status, 'shutting-down')
    assert.equal(await server.exited, 0)
  })

  test('LOG_FORMAT=pretty writes human-readable lines (no JSON), secrets still redacted', async (t) => {
    const server = startServerProcess({ env: { LOG_FORMAT: 'pretty', WEIBO_APP_SECRET: TEST_SECRET, HANDLERS_DIR: await handlersDir(t, ECHO) } })
    stopAtEnd(t, server)
    await server.ready
    server.child.kill('SIGTERM')
    assert.equal(await server.exited, 0)
    assert.match(server.stdout(), /INFO.*weibo-fanbot is ready/)
    assert.doesNotMatch(server.stdout(), /^\{"level"/m)
    assert.doesNotMatch(server.stdout(), new RegExp(TEST_SECRET))
  })

  test('`npm run dev` restarts the server when a handler file changes', async (t) => {
    const dir = await handlersDir(t, { 'reply.js': "export default { on: 'text', handle: () => ({ type: 'text', text: 'version one' }) }\n" })
    // A fixed port: after a restart the server must come back where the test (like a person) expects it.
    const port = await freePort()
    const server = startServerProcess({ command: 'npm', args: ['run', 'dev', '--silent'], env: { HANDLERS_DIR: dir, WEIBO_APP_SECRET: TEST_SECRET, PORT: String(port) } })
    stopAtEnd(t, server)
    const base = await server.ready
    const ask = async (second: string): Promise<string> => {
      const body = fixture('text').replace('18:09:20', `18:09:${second}`)
      return await (await fetch(`${base}/weibo?${signedQuery()}`, { method: 'POST', body })).text()
    }
    assert.match(await ask('01'), /version%20one/)
    await writeFile(path.join(dir, 'reply.js'), "export default { on: 'text', handle: () => ({ type: 'text', text: 'version two' }) }\n")
    // Asked until the new server answers (refused or the old answer meanwhile), for as long as a restart takes: at
    // load 20 the new server (tsx and all) was not up 10 s after the change, the limit this loop had then.
    let asked = 0
    let answer = ''
    await waitFor(async () => {
      answer = await ask(String(asked++ % 50 + 10)).catch(() => '')
      return answer.includes('version%20two')
    }, 60_000, 200).catch(() => {})
    assert.match(answer, /version%20two/)
    process.kill(-(server.child.pid ?? 0), 'SIGTERM')
    await server.exited
  })

  test('`npm start` works with NODE_ENV=production and a secret; /metrics stays off the public port there (refused, with a warning at start)', async (t) => {
    // One production server for both: what `npm start` runs is src/main.ts, the server the /metrics rule is about.
    const server = startServerProcess({ command: 'npm', args: ['start', '--silent'], env: { NODE_ENV: 'production', WEIBO_APP_SECRET: TEST_SECRET } })
    stopAtEnd(t, server)
    const base = await server.ready
    assert.equal((await fetch(`${base}/healthz`)).status, 200)
    assert.doesNotMatch(server.stdout(), /VERIFICATION IS OFF/)
    const response = await fetch(`${base}/metrics`)
    assert.equal(response.status, 403)
    assert.equal((await response.json() as { code: string }).code, 'WEIBO_ERR_METRICS_NOT_PUBLIC')
    assert.match(server.stdout(), /metrics is refused on the public port/)
    server.child.kill('SIGTERM')
    assert.equal(await server.exited, 0)
  })

  test('in production with METRICS_PORT, /metrics is served there and not on the public port', async (t) => {
    const metricsPort = await freePort()
    const split = startServerProcess({ env: { NODE_ENV: 'production', WEIBO_APP_SECRET: TEST_SECRET, METRICS_PORT: String(metricsPort), HANDLERS_DIR: await handlersDir(t, ECHO) } })
    stopAtEnd(t, split)
    const base = await split.ready
    assert.equal((await fetch(`${base}/metrics`)).status, 404)
    await fetch(`${base}/weibo?${signedQuery()}`, { method: 'POST', body: fixture('text') })
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
    assert.equal(scraped.status, 200)
    assert.match(await scraped.text(), /weibo_fanbot_pushes_total\{type="text",outcome="passive",account="default"\} 1/)
    assert.doesNotMatch(split.stdout(), /metrics is refused/)
    split.child.kill('SIGTERM')
    assert.equal(await split.exited, 0)
  })
})

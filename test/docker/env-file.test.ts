/**
 * The documented Docker path (`cp .env.example .env`, then `docker compose up` or `docker run --env-file .env`) must
 * never run the image with signature verification off. No Docker engine runs here, so the test does what Docker
 * does: the runtime stage's ENV, overridden by every `KEY=VALUE` line of the env file (a blank value included,
 * which is what made `NODE_ENV=` fail open), then the exec-form CMD.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test, type TestContext } from 'node:test'
import { TEST_SECRET } from '../helpers/config.ts'
import { envOf, execForm, readDockerfile } from '../helpers/dockerfile.ts'
import { fixture } from '../helpers/push.ts'
import { compiled, REPO_ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.ts'

const instructions = readDockerfile()
const runtimeStage = Math.max(...instructions.map((instruction) => instruction.stage))
const cmd = execForm(instructions.filter((instruction) => instruction.stage === runtimeStage && instruction.keyword === 'CMD').at(-1)?.args ?? '')

/** An env file as Docker reads it: `KEY=VALUE` lines, values taken literally (blank too), `#` lines ignored. */
function readEnvFile (text: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const equals = line.indexOf('=')
    if (equals > 0) env[line.slice(0, equals).trim()] = line.slice(equals + 1)
  }
  return env
}

const envExample = readEnvFile(readFileSync(`${REPO_ROOT}.env.example`, 'utf8'))

/** The image's CMD with the image's ENV, then the env file, as `docker run --env-file .env` starts it. */
function startImage (t: TestContext, envFile: Record<string, string>, options: { refused: boolean }): ServerProcess {
  assert.ok(cmd !== undefined && cmd[0] === 'node')
  // The image runs src/main.js, compiled from src/main.ts (and its handlers) in its build stage. Here: the source,
  // which a Node without type stripping (20 here) loads through tsx with the checkout's TypeScript handlers; or, for
  // a start refused at the config, before any handler loads, the same compile in dist/ when it is current (the test
  // runner builds it first): half the CPU of a start through tsx, five starts.
  const main = options.refused ? compiled('src/main.ts') : undefined
  const stripsTypes = (process.features as { typescript?: unknown }).typescript !== undefined
  const args = cmd.slice(1).map((arg) => arg === 'src/main.js' ? (main ?? 'src/main.ts') : arg)
  const server = startServerProcess({
    args: main !== undefined || stripsTypes ? args : ['--import', 'tsx', ...args],
    // PORT 0 instead of the mapped 3000, HOST on loopback: the test's own host, not a container's.
    env: { ...envOf(instructions, runtimeStage), ...envFile, PORT: '0', HOST: '127.0.0.1' }
  })
  t.after(() => { if (server.child.exitCode === null) server.child.kill('SIGKILL') })
  return server
}

describe('the Docker path with .env copied from .env.example', () => {
  test('.env.example sets nothing blank that the image sets (a blank line would replace the image\'s value)', () => {
    for (const [key, value] of Object.entries(envOf(instructions, runtimeStage))) {
      assert.ok(envExample[key] === undefined || envExample[key] === value, `${key}=${envExample[key] ?? ''} in .env.example overrides the image's ${key}=${value}`)
    }
  })

  test('without a secret the image refuses to start (exit 1, naming WEIBO_APP_SECRET)', async (t) => {
    const server = startImage(t, envExample, { refused: true })
    assert.equal(await server.exited, 1)
    assert.match(server.stderr(), /WEIBO_ERR_CONFIG_INVALID/)
    assert.match(server.stderr(), /WEIBO_APP_SECRET/)
  })

  test('whatever NODE_ENV the env file says (blank, development, test), still no start without a secret', async (t) => {
    for (const nodeEnv of ['', 'development', 'test']) {
      const server = startImage(t, { ...envExample, NODE_ENV: nodeEnv }, { refused: true })
      assert.equal(await server.exited, 1, `NODE_ENV=${nodeEnv}`)
      assert.match(server.stderr(), /WEIBO_APP_SECRET/)
    }
  })

  test('with the secret it starts in production and refuses unsigned pushes', async (t) => {
    const server = startImage(t, { ...envExample, WEIBO_APP_SECRET: TEST_SECRET }, { refused: false })
    const base = await server.ready
    const unsigned = await fetch(`${base}/weibo`, { method: 'POST', body: fixture('text') })
    assert.equal(unsigned.status, 401)
    server.child.kill('SIGTERM')
    assert.equal(await server.exited, 0)
  })

  test('only the loudly named opt-out starts it without a secret, and it warns', async (t) => {
    const server = startImage(t, { ...envExample, WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES: 'true' }, { refused: false })
    await server.ready
    assert.match(server.stdout(), /SIGNATURE VERIFICATION IS OFF/)
    server.child.kill('SIGTERM')
    assert.equal(await server.exited, 0)
  })
})

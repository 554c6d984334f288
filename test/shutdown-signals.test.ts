import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { handleShutdownSignals } from '../src/shutdown-signals.ts'
import { deferred } from './helpers/deferred.ts'
import { captureLogs } from './helpers/logs.ts'
import { TEST_SECRET, TEST_TOKEN } from './helpers/config.ts'
import { fixtureWith, signedQuery } from './helpers/push.ts'
import { startServerProcess, type ServerProcess } from './helpers/server-process.ts'
import { fanWrites, listenFakeApi, sentData } from './helpers/simulator-api.ts'

const SHUTDOWN_TIMEOUT_MS = 6000
const HANDLER_MS = 1500
/** Late replies pending when the signal arrives. */
const PUSHES = 5

/** A handler that answers after HANDLER_MS: past REPLY_DEADLINE_MS, so its reply is a late one. */
async function slowHandlersDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fanbot-signals-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await writeFile(path.join(dir, 'slow.ts'), [
    `import { text } from '${path.resolve('src/index.ts')}'`,
    'export default { on: \'text\', async handle (message: { text: string }) {',
    `  await new Promise((resolve) => setTimeout(resolve, ${HANDLER_MS}))`,
    "  return text('late: ' + message.text)",
    '} }',
    ''
  ].join('\n'))
  return dir
}

function killGroupAtEnd (t: TestContext, server: ServerProcess): void {
  t.after(() => {
    try { process.kill(-(server.child.pid ?? 0), 'SIGKILL') } catch {}
  })
}

/**
 * `npm start` in its own process group, as under a terminal, systemd (KillMode=control-group) or `docker run` with
 * an npm CMD: a signal to the group reaches node twice (directly, and forwarded by npm).
 */
async function signalGroupDuringLateReply (t: TestContext, signal: NodeJS.Signals, copies: number): Promise<void> {
  const api = await listenFakeApi(t)
  // One fan per push: a fan's pushes are handled one at a time, and these must be pending together.
  const fans = Array.from({ length: PUSHES }, (_, index) => String(2_489_518_300 + index))
  for (const fan of fans) fanWrites(api, fan)
  const server = startServerProcess({
    command: 'npm',
    args: ['start', '--silent'],
    env: {
      HANDLERS_DIR: await slowHandlersDir(t),
      WEIBO_APP_SECRET: TEST_SECRET,
      WEIBO_ACCESS_TOKEN: TEST_TOKEN,
      WEIBO_API_BASE_URL: api.baseUrl,
      REPLY_DEADLINE_MS: '100',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS)
    }
  })
  killGroupAtEnd(t, server)
  const base = await server.ready
  const texts = Array.from({ length: PUSHES }, (_, index) => `push ${index}`)
  for (const [index, words] of texts.entries()) {
    const response = await fetch(`${base}/weibo?${signedQuery()}`, { method: 'POST', body: fixtureWith('text', { text: words, sender_id: fans[index] }) })
    assert.equal(response.status, 200)
    assert.equal(await response.text(), '', 'answered blank: the reply is pending as a late one')
  }

  const pgid = server.child.pid ?? 0
  const signalledAt = performance.now()
  process.kill(-pgid, signal)
  for (let copy = 1; copy < copies; copy++) {
    await new Promise((resolve) => setTimeout(resolve, 150))
    // An impatient supervisor (or person) repeating the signal during the drain; the group may be gone already.
    try { process.kill(-pgid, signal) } catch {}
  }
  const code = await server.exited
  const tookMs = performance.now() - signalledAt
  assert.equal(code, 0, `exit code 0 as the README states (got ${code}); stderr: ${server.stderr()}`)
  assert.ok(tookMs < SHUTDOWN_TIMEOUT_MS, `exited by itself within SHUTDOWN_TIMEOUT_MS (took ${Math.round(tookMs)} ms)`)
  assert.equal(api.calls.length, PUSHES, 'each late reply was sent exactly once')
  assert.deepEqual(api.calls.map((call) => (sentData(call) as { text: string }).text).sort(), texts.map((words) => `late: ${words}`).sort())
}

describe('signals to the whole process group of `npm start`', () => {
  test('SIGTERM to the group: the late reply is sent once, exit 0', async (t) => {
    await signalGroupDuringLateReply(t, 'SIGTERM', 1)
  })

  test('SIGINT to the group (Ctrl-C in a terminal): the late reply is sent once, exit 0', async (t) => {
    await signalGroupDuringLateReply(t, 'SIGINT', 1)
  })

  test('SIGTERM repeated three times during the drain does not abort it', async (t) => {
    await signalGroupDuringLateReply(t, 'SIGTERM', 3)
  })
})

describe('handleShutdownSignals (in process)', () => {
  function stubApp (close: () => Promise<void>): FastifyInstance {
    return { fanbot: { readiness: { markShuttingDown: () => {} }, dispatcher: { pending: 0 } }, close } as unknown as FastifyInstance
  }

  test('a shutdown that never finishes is ended by the watchdog with exit 1, not by a later signal', async () => {
    const signals = new EventEmitter()
    const exits: number[] = []
    const exited = deferred()
    handleShutdownSignals({
      app: stubApp(async () => await new Promise(() => {})),
      config: { shutdownDrainDelayMs: 0, shutdownTimeoutMs: 20 },
      logger: captureLogs().logger,
      exit: (code) => { exits.push(code); exited.resolve() },
      signals: signals as unknown as NodeJS.Process,
      watchdogMarginMs: 30
    })
    // The watchdog's timer is unref'd (it must not hold a finished process open): keep the test's loop alive.
    const keepAlive = setInterval(() => {}, 1000)
    signals.emit('SIGTERM', 'SIGTERM')
    signals.emit('SIGTERM', 'SIGTERM')
    signals.emit('SIGINT', 'SIGINT')
    assert.deepEqual(exits, [], 'repeated signals do not exit')
    await exited.promise
    clearInterval(keepAlive)
    assert.deepEqual(exits, [1])
  })

  test('close is called once however many signals arrive; exit 0 when it resolves', async () => {
    const signals = new EventEmitter()
    let closes = 0
    const exited = deferred<number>()
    handleShutdownSignals({
      app: stubApp(async () => { closes++ }),
      config: { shutdownDrainDelayMs: 10, shutdownTimeoutMs: 1000 },
      logger: captureLogs().logger,
      exit: (code) => { exited.resolve(code) },
      signals: signals as unknown as NodeJS.Process
    })
    for (let index = 0; index < 5; index++) signals.emit('SIGINT', 'SIGINT')
    assert.equal(await exited.promise, 0)
    assert.equal(closes, 1)
  })
})

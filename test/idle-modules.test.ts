import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { TEST_SECRET } from './helpers/config.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from './helpers/redis.ts'
import { compiled, startServerProcess } from './helpers/server-process.ts'

/**
 * Issue 13, goal 4: an in-memory server loads Redis (ioredis), BullMQ, the push stream's client, the simulator and
 * the CLI only when configured or used. A module-resolution hook, preloaded with `--import`, prints every module the
 * server resolves on its way up; the same hook in scale-out mode shows ioredis, so the check can see a load.
 */
const HOOK = `import module from 'node:module'
const print = (url) => { process._rawDebug('fanbot-resolved ' + url) }
if (typeof module.registerHooks === 'function') {
  // Node 22.15+ and 24: in this thread, and it sees require() as well as import.
  module.registerHooks({ resolve (specifier, context, next) { const result = next(specifier, context); print(result.url); return result } })
} else {
  // Node 20: import only (its CommonJS loader has no hook); ioredis and BullMQ are reached from our ES modules.
  module.register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve (specifier, context, next) {
  const result = await next(specifier, context)
  process._rawDebug('fanbot-resolved ' + result.url)
  return result
}\`))
}
`

/** Loaded only when configured or used (a URL's path part, or a package). */
const NOT_IDLE = [/\/node_modules\/ioredis\//, /\/node_modules\/bullmq\//, /\/src\/simulator\//, /\/src\/cli\//, /\/src\/push-stream\/(push-stream-client|stream-setup)\./, /\/src\/outbox\//]

async function folder (t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fanbot-idle-modules-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await mkdir(path.join(dir, 'handlers'))
  await writeFile(path.join(dir, 'hook.mjs'), HOOK)
  await writeFile(path.join(dir, 'handlers', 'ok.js'), "export default { on: '*', handle: () => ({ type: 'text', text: 'ok' }) }\n")
  return dir
}

/** The server's start, as the image runs it where dist/ is current (else through tsx): every module it resolved. */
async function modulesResolvedOnStart (t: TestContext, env: Record<string, string>): Promise<string[]> {
  const dir = await folder(t)
  const hook = path.join(dir, 'hook.mjs')
  const main = compiled('src/main.ts')
  const server = startServerProcess({
    args: main === undefined ? ['--import', 'tsx', '--import', hook, 'src/main.ts'] : ['--import', hook, main],
    env: { HANDLERS_DIR: path.join(dir, 'handlers'), WEIBO_APP_SECRET: TEST_SECRET, LOG_LEVEL: 'info', ...env }
  })
  t.after(() => { if (server.child.exitCode === null) server.child.kill('SIGKILL') })
  await server.ready
  const closed = once(server.child, 'close') // stdout and stderr read to their end, not only the process gone
  server.child.kill('SIGTERM')
  assert.equal(await server.exited, 0, server.stderr())
  await closed
  return [...server.stderr().matchAll(/^fanbot-resolved (\S+)$/gm)].map((match) => match[1] ?? '')
}

describe('modules an idle server loads (issue 13, goal 4)', () => {
  test('in memory: no Redis, BullMQ, push stream client, simulator, CLI or outbox', async (t) => {
    const resolved = await modulesResolvedOnStart(t, {})
    assert.ok(resolved.some((url) => /\/node_modules\/fastify\//.test(url)), `the hook saw the server's modules: ${resolved.length} resolved`)
    const unwanted = resolved.filter((url) => NOT_IDLE.some((pattern) => pattern.test(url)))
    assert.deepEqual(unwanted, [], 'loaded by an in-memory server')
  })

  test('on Redis (REDIS_URL): ioredis is loaded, so the check above can see it', { skip: skipWithoutRedis }, async (t) => {
    const url = redisUrl() ?? ''
    const prefix = uniquePrefix()
    t.after(async () => { await deleteKeys(url, prefix) })
    const resolved = await modulesResolvedOnStart(t, { REDIS_URL: url, REDIS_KEY_PREFIX: prefix })
    assert.ok(resolved.some((url) => /\/node_modules\/ioredis\//.test(url)), 'ioredis resolved in scale-out mode')
  })
})

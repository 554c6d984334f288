import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { tempDir } from '../helpers/cli.ts'
import { REPO_ROOT } from '../helpers/server-process.ts'
import { waitUntil } from '../../src/cli/wait-until.ts'

const PLAIN = "export default { on: 'text', handle: () => undefined }\n"

test('weibo-fanbot dev restarts on a file created later in HANDLERS_DIR (anywhere), and says a broken one once', { timeout: 120_000 }, async (t) => {
  const dir = path.join(await tempDir(t, 'cli-dev-'), 'my-handlers')
  await mkdir(dir)
  await writeFile(path.join(dir, 'first.mjs'), PLAIN)
  const child = spawn(process.execPath, ['bin/weibo-fanbot.js', 'dev'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HANDLERS_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'pretty' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true // its own process group: the watcher and the server it runs are stopped together
  })
  t.after(() => { if (child.exitCode === null) process.kill(-(child.pid ?? 0), 'SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  const readyCount = (): number => output.split('weibo-fanbot is ready').length - 1

  assert.ok(await waitUntil(() => readyCount() === 1, 30_000, 50), output)
  await writeFile(path.join(dir, 'second.mjs'), PLAIN)
  assert.ok(await waitUntil(() => readyCount() === 2, 30_000, 50), output)
  assert.match(output.slice(output.lastIndexOf('weibo-fanbot is ready')), /handlers.*first.*second/s)

  await writeFile(path.join(dir, 'third.mjs'), "export default { on: 'text', handle () { return ( } }\n")
  assert.ok(await waitUntil(() => output.includes('WEIBO_ERR_HANDLER_IMPORT_FAILED'), 30_000, 50), output)
  await new Promise((resolve) => setTimeout(resolve, 500)) // anything printed a second time would be here by now
  assert.equal(output.split('third.mjs:').length - 1, 1, output)

  process.kill(-(child.pid ?? 0), 'SIGTERM')
  await once(child, 'exit')
})

import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { oneLineOf, runInProcess, tempDir } from '../helpers/cli.ts'
import { TEST_SECRET } from '../helpers/config.ts'
import { fixture, signedQuery } from '../helpers/push.ts'
import { REPO_ROOT, startServerProcess } from '../helpers/server-process.ts'
import { waitUntil } from '../../src/cli/wait-until.ts'

test('weibo-fanbot serve runs the server on ./handlers of the current folder, configured by its .env', async (t) => {
  const project = await tempDir(t, 'cli-serve-')
  await mkdir(path.join(project, 'handlers'))
  await writeFile(path.join(project, 'handlers', 'hello.mjs'), "export default { on: 'text', handle: () => ({ type: 'text', text: 'from the project' }) }\n")
  // The real environment wins over the file: PORT 0 and HOST from startServerProcess, LOG_LEVEL here.
  await writeFile(path.join(project, '.env'), `WEIBO_APP_SECRET=${TEST_SECRET}\nPORT=1\nLOG_LEVEL=silent\n`)
  const server = startServerProcess({ args: [path.join(REPO_ROOT, 'bin', 'weibo-fanbot.js'), 'serve'], cwd: project, env: { LOG_LEVEL: 'info' } })
  t.after(() => { if (server.child.exitCode === null) server.child.kill('SIGKILL') })
  const base = await server.ready
  assert.ok(await waitUntil(() => server.stdout().includes('weibo-fanbot is ready'), 10_000), server.stdout())
  assert.match(server.stdout(), /"handlers":\["hello"\]/)
  assert.doesNotMatch(server.stdout(), /SIGNATURE VERIFICATION IS OFF/)
  const response = await fetch(`${base}/weibo?${signedQuery()}`, { method: 'POST', body: fixture('text') })
  assert.match(await response.text(), /from%20the%20project/)
  server.child.kill('SIGTERM')
  assert.equal(await server.exited, 0)
})

test('serve takes no arguments: a usage error in one line', async () => {
  const run = await runInProcess(['serve', 'handlers'])
  assert.equal(run.code, 2)
  assert.match(oneLineOf(run.stderr), /unexpected argument "handlers"/)
})

import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { tempDir } from '../helpers/cli.ts'
import { freePort } from '../helpers/ports.ts'
import { REPO_ROOT } from '../helpers/server-process.ts'

const run = promisify(execFile)
/** Only PATH and HOME (npm's cache) from this process: the bot must work from its own files and .env. */
const CLEAN_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }

/** What `npx weibo-fanbot chat` prints in the bot for `input`; fails unless it exits 0. */
async function chatWith (bot: string, input: string): Promise<string> {
  const chat = spawn(process.execPath, ['node_modules/.bin/weibo-fanbot', 'chat'], { cwd: bot, env: CLEAN_ENV, stdio: ['pipe', 'pipe', 'pipe'] })
  let transcript = ''
  chat.stdout.on('data', (chunk: Buffer) => { transcript += chunk.toString('utf8') })
  chat.stdin.end(input)
  const [code] = await once(chat, 'close') as [number | null]
  assert.equal(code, 0, transcript)
  return transcript
}

/**
 * The package as a user gets it: `npm pack` (which builds dist/), `weibo-fanbot init --from` the tarball, `npm
 * install` in the new bot, its own tests, then its server (`serve`, settings from .env) answering a signed push.
 */
test('packed, installed into a new bot: its tests pass, its types check, chat talks to it, and its server answers a push', { timeout: 300_000 }, async (t) => {
  const root = await tempDir(t, 'fanbot-package-')

  const packed = await run('npm', ['pack', '--silent', '--pack-destination', root], { cwd: REPO_ROOT })
  const tarball = path.join(root, packed.stdout.trim().split('\n').at(-1) ?? '')
  const listing = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter((line) => line !== '')
  const files = listing.map((line) => line.replace(/^package\//, ''))
  for (const file of ['bin/weibo-fanbot.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/testing.js', 'dist/src/main.js', 'dist/routes/callback.js', 'templates/bot/handlers/price.ts']) {
    assert.ok(files.includes(file), `${file} is packed`)
  }
  // What runs and nothing else: no tests, no TypeScript sources, no benchmarks or repo tooling.
  assert.deepEqual(files.filter((file) => /^(test|src|bench|scripts|handlers)\//.test(file) || file.endsWith('.test.js')), [])

  const bot = path.join(root, 'bot')
  const cli = path.join(REPO_ROOT, 'bin', 'weibo-fanbot.js')
  await run(process.execPath, [cli, 'init', bot, '--from', tarball], { env: CLEAN_ENV })
  // Offline from npm's cache for what this repository's lockfile already brought in; the registry for the rest.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev'], { cwd: bot, env: CLEAN_ENV })
  assert.deepEqual((await readdir(path.join(bot, 'node_modules', 'weibo-fanbot'))).sort(), ['.env.example', 'README.md', 'README.zh-CN.md', 'bin', 'dist', 'package.json', 'templates'])

  // Its tests, its types and a chat need nothing of each other: side by side, they take the time of the longest (this
  // test is the suite's longest, and each step is one process or two, so the other core would idle at the end).
  const [tests, , transcript] = await Promise.all([
    run('npm', ['test'], { cwd: bot, env: CLEAN_ENV }),
    // The package's type declarations serve a bot's handlers and tests (the typescript of this repository checks them).
    run(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', bot, '--typeRoots', path.join(REPO_ROOT, 'node_modules', '@types')], { cwd: bot }),
    chatWith(bot, '价格\n/follow\n')
  ])
  assert.match(tests.stdout, /^# pass 3$/m)
  assert.match(tests.stdout, /^# fail 0$/m)
  // `npx weibo-fanbot chat` in the bot: its handlers, in chat's process, with a fake Weibo.
  assert.match(transcript, /^bot \(passive\): 中杯 15 元/m)
  assert.match(transcript, /^bot \(passive\): 感谢关注/m)

  const port = await freePort()
  await writeFile(path.join(bot, '.env'), `PORT=${port}\nHOST=127.0.0.1\nWEIBO_APP_SECRET=bot-secret\nLOG_LEVEL=info\n`)
  const server = spawn(process.execPath, ['node_modules/weibo-fanbot/bin/weibo-fanbot.js', 'serve'], { cwd: bot, env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (server.exitCode === null) server.kill('SIGKILL') })
  let log = ''
  server.stdout.on('data', (chunk: Buffer) => { log += chunk.toString('utf8') })
  server.stderr.on('data', (chunk: Buffer) => { log += chunk.toString('utf8') })
  await new Promise<void>((resolve, reject) => {
    server.stdout.on('data', () => { if (log.includes('weibo-fanbot is ready')) resolve() })
    server.once('exit', () => { reject(new Error(`serve exited:\n${log}`)) })
  })
  assert.match(log, /"handlers":\["price","welcome"\]/)
  assert.doesNotMatch(log, /SIGNATURE VERIFICATION IS OFF/) // the secret came from .env

  // The bot's own CLI, configured by the same .env: the push is signed with its secret and sent to its port.
  const sent = await run(process.execPath, ['node_modules/.bin/weibo-fanbot', 'send', 'text', '价格'], { cwd: bot, env: CLEAN_ENV })
  assert.match(sent.stdout, /中杯 15 元/)
  server.kill('SIGTERM')
  const [code] = await once(server, 'exit') as [number | null]
  assert.equal(code, 0, log)
})

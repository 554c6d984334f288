/**
 * CI step: replays the Dockerfile's runtime stage without a Docker engine. It lays the image's files out in a
 * temporary folder as the COPY lines do, runs the stage's install (production dependencies only), starts the CMD
 * with the stage's ENV, runs the HEALTHCHECK command until it passes, swaps in a handlers/ folder as a read-only
 * bind mount would, and stops with SIGTERM, expecting exit 0. Exit code 1 and one line on failure.
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { envOf, execForm, readDockerfile } from '../test/helpers/dockerfile.ts'
import { freePort } from '../test/helpers/ports.ts'
import { REPO_ROOT } from '../test/helpers/server-process.ts'
import { signUrl } from '../src/simulator/callback-client.ts'
import { makePush, pushToJson } from '../src/simulator/push-factory.ts'

const SECRET = 'replay-secret'
const MOUNTED_HANDLER = `import { defineHandler, text } from '../src/index.ts'

export default defineHandler({ on: 'text', handle: (message): ReturnType<typeof text> => text(\`mounted: \${message.text}\`) })
`
const say = (line: string): void => { process.stdout.write(`replay-dockerfile: ${line}\n`) }

function layOut (root: string, copies: string[]): void {
  for (const copy of copies) {
    const parts = copy.split(/\s+/).filter((part) => !part.startsWith('--'))
    const destination = parts.pop() ?? '.'
    for (const source of parts) {
      const fromRepo = path.join(REPO_ROOT, source.replace(/^\/app\//, ''))
      const target = destination.endsWith('/') ? path.join(root, destination, path.basename(source)) : path.join(root, destination)
      cpSync(fromRepo, target, { recursive: true })
    }
  }
}

async function healthy (command: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      execFileSync(command[0] ?? 'node', command.slice(1), { env, cwd, stdio: 'ignore', timeout: 5000 })
      return true
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  return false
}

async function startAndCheck (root: string, env: NodeJS.ProcessEnv, cmd: string[], healthcheck: string[], expectedReply: string): Promise<void> {
  const child = spawn(cmd[0] ?? 'node', cmd.slice(1), { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] })
  const exited = once(child, 'exit')
  try {
    if (!await healthy(healthcheck, env, root)) throw new Error('the HEALTHCHECK command never passed')
    const url = signUrl({ url: `http://127.0.0.1:${env.PORT ?? ''}/weibo`, secret: SECRET })
    const response = await fetch(url, { method: 'POST', body: pushToJson(makePush({ type: 'text', text: '你好' })) })
    const body = await response.text()
    if (!body.includes(expectedReply)) throw new Error(`a push got ${response.status} "${body.slice(0, 120)}", expected a reply containing ${expectedReply}`)
  } finally {
    child.kill('SIGTERM')
  }
  const [code] = await exited
  if (code !== 0) throw new Error(`the server exited with ${String(code)} after SIGTERM, expected 0`)
}

async function main (): Promise<void> {
  const instructions = readDockerfile()
  const stage = Math.max(...instructions.map((instruction) => instruction.stage))
  const runtime = instructions.filter((instruction) => instruction.stage === stage)
  const cmd = execForm(runtime.filter((instruction) => instruction.keyword === 'CMD').at(-1)?.args ?? '')
  const healthcheck = execForm(runtime.find((instruction) => instruction.keyword === 'HEALTHCHECK')?.args ?? '')
  if (cmd === undefined || healthcheck === undefined) throw new Error('the runtime stage needs an exec-form CMD and HEALTHCHECK')

  const root = mkdtempSync(path.join(tmpdir(), 'fanbot-image-'))
  try {
    layOut(root, runtime.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => instruction.args))
    for (const run of runtime.filter((instruction) => instruction.keyword === 'RUN')) {
      // `npm cache clean` only slims the image; here it would empty this machine's cache. `chown` gives a folder to
      // the image's `node` user; the replay runs as this machine's user, who owns what it creates already.
      const steps = run.args.split('&&').map((step) => step.trim()).filter((step) => !step.startsWith('npm cache clean') && !step.startsWith('chown '))
      for (const step of steps) {
        say(`RUN ${step}`)
        execFileSync('sh', ['-c', step], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...envOf(instructions, stage) } })
      }
    }
    const port = String(await freePort())
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...envOf(instructions, stage), PORT: port, WEIBO_APP_SECRET: SECRET, LOG_LEVEL: 'warn' }
    say(`CMD ${cmd.join(' ')} (PORT=${port})`)
    if (cmd[0] === 'node' && cmd[1]?.endsWith('.ts') === true && (process.features as { typescript?: unknown }).typescript === undefined) {
      // The image's Node 24 strips types itself; this machine's Node (20) cannot, so tsx's loader stands in for it.
      cmd.splice(1, 0, '--import', 'tsx')
      say(`this Node (${process.version}) has no type stripping: running CMD as ${cmd.join(' ')}`)
    }
    await startAndCheck(root, env, cmd, healthcheck, '%E6%AC%A2%E8%BF%8E') // 欢迎: the shipped greeting

    // A read-only bind mount over /app/handlers replaces the examples, .ts included, without a rebuild.
    const mounted = path.join(root, 'handlers')
    rmSync(mounted, { recursive: true })
    mkdirSync(mounted)
    writeFileSync(path.join(mounted, 'mounted.ts'), MOUNTED_HANDLER)
    say('handlers/ replaced by a mounted folder')
    await startAndCheck(root, env, cmd, healthcheck, 'mounted')
    say('OK: production install, CMD, HEALTHCHECK, mounted handlers and SIGTERM all behave')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`replay-dockerfile: FAILED: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})

/**
 * CI step: replays the Dockerfile without a Docker engine. The build stage: its files laid out in a temporary folder
 * as its COPY lines do, this checkout's node_modules in place of its full `npm ci` (the same lockfile), then its
 * other RUN steps (type check, compile). The runtime stage: its files laid out in another folder (`--from=build`
 * from the first), its install (production dependencies only), the CMD started with the stage's ENV, the
 * HEALTHCHECK command run until it passes, a handlers/ folder swapped in as a read-only bind mount would, and a
 * SIGTERM, expecting exit 0. Exit code 1 and one line on failure.
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { envOf, execForm, readDockerfile, type Instruction } from '../test/helpers/dockerfile.ts'
import { freePort } from '../test/helpers/ports.ts'
import { REPO_ROOT } from '../test/helpers/server-process.ts'
import { signUrl } from '../src/simulator/callback-client.ts'
import { makePush, pushToJson } from '../src/simulator/push-factory.ts'

const SECRET = 'replay-secret'
const MOUNTED_HANDLER = `import { defineHandler, text } from '../src/index.ts'

export default defineHandler({ on: 'text', handle: (message): ReturnType<typeof text> => text(\`mounted: \${message.text}\`) })
`
const say = (line: string): void => { process.stdout.write(`replay-dockerfile: ${line}\n`) }

/** The `node` of the image's FROM line (`node:24.11.1-…`), through npx from the npm registry (cached after once). */
function imageNode (from: string): string {
  const version = /^node:(\d+\.\d+\.\d+)/.exec(from)?.[1]
  if (version === undefined) throw new Error(`FROM ${from}: expected an official node:<x.y.z>-… image`)
  try {
    const node = execFileSync('npx', ['-y', '-p', `node@${version}`, 'node', '-p', 'process.execPath'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    say(`the image's Node: node@${version} (${node})`)
    return node
  } catch (error) {
    throw new Error(`could not get the image's Node (npx -p node@${version}): ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Copies as the COPY lines do: from the checkout, or with `--from=build` from the replayed build stage's folder. */
function layOut (root: string, copies: string[], buildRoot?: string): void {
  for (const copy of copies) {
    const fromBuild = /(^|\s)--from=build(\s|$)/.test(copy)
    if (fromBuild && buildRoot === undefined) throw new Error(`COPY ${copy}: no build stage to copy from`)
    const parts = copy.split(/\s+/).filter((part) => !part.startsWith('--'))
    const destination = parts.pop() ?? '.'
    for (const source of parts) {
      const from = path.join(fromBuild ? buildRoot ?? '' : REPO_ROOT, source.replace(/^\/app\//, ''))
      const target = destination.endsWith('/') ? path.join(root, destination, path.basename(source)) : path.join(root, destination)
      cpSync(from, target, { recursive: true })
    }
  }
}

const steps = (instructions: Instruction[]): string[] => instructions.filter((instruction) => instruction.keyword === 'RUN')
  .flatMap((run) => run.args.split('&&').map((step) => step.trim()))

function runStep (step: string, cwd: string, env: NodeJS.ProcessEnv): void {
  say(`RUN ${step}`)
  execFileSync('sh', ['-c', step], { cwd, stdio: ['ignore', 'ignore', 'inherit'], env })
}

/** The build stage, replayed in `buildRoot`: its files, this checkout's full install, then its other RUN steps. */
function replayBuildStage (build: Instruction[], buildRoot: string): void {
  layOut(buildRoot, build.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => instruction.args))
  for (const step of steps(build)) {
    if (/^npm ci\b/.test(step)) {
      // The stage installs everything from the lockfile, as this checkout's node_modules already is.
      say(`RUN ${step} (this checkout's node_modules instead)`)
      symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(buildRoot, 'node_modules'), 'dir')
      continue
    }
    runStep(step, buildRoot, process.env)
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
  const buildRoot = mkdtempSync(path.join(tmpdir(), 'fanbot-image-build-'))
  try {
    const build = instructions.filter((instruction) => instruction.stage === 0 && stage > 0)
    if (build.length > 0) replayBuildStage(build, buildRoot)
    layOut(root, runtime.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => instruction.args), buildRoot)
    // `npm cache clean` only slims the image; here it would empty this machine's cache. `chown` gives a folder to
    // the image's `node` user; the replay runs as this machine's user, who owns what it creates already.
    for (const step of steps(runtime).filter((step) => !step.startsWith('npm cache clean') && !step.startsWith('chown '))) {
      runStep(step, root, { ...process.env, ...envOf(instructions, stage) })
    }
    const port = String(await freePort())
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...envOf(instructions, stage), PORT: port, WEIBO_APP_SECRET: SECRET, LOG_LEVEL: 'warn' }
    say(`CMD ${cmd.join(' ')} (PORT=${port})`)
    if (cmd[0] === 'node') {
      // The image's own Node (its FROM version), not this machine's: a mounted .ts handler needs Node 24's type
      // stripping, and the memory and start figures are that Node's (bench/README.md).
      cmd[0] = imageNode(instructions.find((instruction) => instruction.keyword === 'FROM' && instruction.stage === stage)?.args ?? '')
    }
    if (cmd.some((arg) => arg.endsWith('.ts'))) throw new Error('the CMD runs a .ts file: the image is to run the compiled JavaScript')
    for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      if (!file.startsWith('node_modules') && /\.[cm]?ts$/.test(file) && file !== path.join('src', 'index.ts')) throw new Error(`the image holds ${file}: it is to hold compiled JavaScript only (and the src/index.ts re-export)`)
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
    rmSync(buildRoot, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`replay-dockerfile: FAILED: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})

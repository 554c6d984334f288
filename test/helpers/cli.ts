import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { TestContext } from 'node:test'
import { compiled, REPO_ROOT } from './server-process.ts'
import { collectOutput } from '../../src/cli/print.ts'
import { runCommandLine } from '../../src/cli/run.ts'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** The commands that load the bot's handler modules, which may be TypeScript: the launcher registers tsx for them. */
const LOADS_HANDLERS = new Set(['chat', 'serve', 'dev'])

/**
 * Runs the CLI from the repo root, as a user would, with only `env` (plus PATH and HOME) so the parent's environment
 * cannot leak in; `input` is piped to stdin, then closed. The real launcher (`node bin/weibo-fanbot.js …`: tsx, then
 * the sources) for the commands that load handlers; for the others the compiled CLI on plain node when dist/ is
 * current (what the installed package runs, less tsx: ~0.7 s of CPU instead of ~1.2).
 */
export async function runCli (args: string[], options: { env?: Record<string, string>, input?: string } = {}): Promise<CliRun> {
  const main = LOADS_HANDLERS.has(args[0] ?? '') ? undefined : compiled('src/cli/main.ts')
  const child = spawn(process.execPath, [main ?? 'bin/weibo-fanbot.js', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
  child.stdin.end(options.input ?? '')
  const [code] = await once(child, 'close') as [number | null]
  return { code, stdout, stderr }
}

let inProcess: Promise<unknown> = Promise.resolve()

/**
 * A command line run in this process through the CLI's own entry (src/cli/run.ts: all main.ts does but exit), with
 * the environment `runCli` gives and `input` piped as stdin: what `runCli` reports, without starting a process (~1 s
 * of CPU each, ~2 s for a chat, most of a CLI test file's cost). For command lines that leave nothing running:
 * usage errors, help, send, verify, chat, and `outbox` / `stream` (they close their Redis connections: a file whose
 * command left one open would not end). The process around them (exit code, flushed streams) is the same for every
 * command line; each file proves it with `runCli`. One at a time: the output collector is the CLI's own.
 */
export async function runInProcess (args: string[], options: { env?: Record<string, string>, input?: string } = {}): Promise<CliRun> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env }
  const turn = inProcess.then(async () => {
    let code: number | null = null
    const input = Readable.from([Buffer.from(options.input ?? '')], { objectMode: false })
    const output = await collectOutput(async () => { code = await runCommandLine({ argv: args, env }) }, input)
    return { code, ...output }
  })
  inProcess = turn.catch(() => {})
  return await turn
}

/** A loopback URL where nothing listens (a port just let go). */
export async function deadUrl (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/weibo`
}

export async function tempDir (t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** stderr is exactly one line (the CLI's promise for every error), with no stack trace. */
export function oneLineOf (stderr: string): string {
  const lines = stderr.trimEnd().split('\n')
  if (lines.length !== 1 || /^\s+at /m.test(stderr)) throw new Error(`expected one line on stderr, got:\n${stderr}`)
  return lines[0] ?? ''
}

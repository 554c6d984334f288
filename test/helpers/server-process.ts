import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface ServerProcess {
  child: ChildProcess
  /** Resolves with the base URL once the server logs that it listens. */
  ready: Promise<string>
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>
  stdout: () => string
  stderr: () => string
}

/** Runs a command from the repo root (or `cwd`) with only `env` (plus PATH/HOME, HOST/PORT and no shedding), as a user would in a fresh shell. */
export function startServerProcess (options: { command?: string, args?: string[], env: Record<string, string>, cwd?: string }): ServerProcess {
  const child = spawn(options.command ?? process.execPath, options.args ?? ['--import', 'tsx', 'src/main.ts'], {
    cwd: options.cwd ?? REPO_ROOT,
    // Overload shedding off, as in testConfig: a loaded test machine lags a server's event loop past the default
    // second, and the pushes a test sends were shed (503; shutdown-signals.test.ts at load 20). A test may set it.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  })
  let out = ''
  let err = ''
  child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString('utf8') })
  const ready = new Promise<string>((resolve, reject) => {
    let listening = false
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8')
      // Searched until found, not in every later chunk: a replica logging for a minute would make it quadratic.
      if (listening) return
      const found = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (found?.[1] === undefined) return
      listening = true
      resolve(found[1])
    })
    child.once('exit', () => { reject(new Error(`server exited before listening:\n${out}\n${err}`)) })
  })
  ready.catch(() => {})
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  return { child, ready, exited, stdout: () => out, stderr: () => err }
}

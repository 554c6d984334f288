import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DIST, distIsCurrent } from '../../scripts/build-inputs.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

let current: boolean | undefined
/**
 * The compiled file for `source` (`src/main.ts` → `dist/src/main.js`) when dist/ is built from the sources as they
 * are now (scripts/test.js builds it before the tests), else undefined: a process on plain node costs about half of
 * one through tsx's loader (~0.6 s of CPU against ~1.3 for the server), and a stale build is never run.
 */
export function compiled (source: string): string | undefined {
  current ??= distIsCurrent()
  return current ? path.join(DIST, source.replace(/\.ts$/, '.js')) : undefined
}

/** No TypeScript among the handler modules the server would load (the top level of its handlers folder). */
function javaScriptHandlers (env: Record<string, string>, cwd: string): boolean {
  try {
    return !readdirSync(path.resolve(cwd, env.HANDLERS_DIR ?? 'handlers')).some((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
  } catch {
    return true // no folder: the server stops before it loads a handler
  }
}

/**
 * How a test starts the server when it does not say: the compiled server on plain node if it is current and the
 * handlers are JavaScript; else the sources through tsx, as `npm start` does (TypeScript handlers need tsx on Node
 * 20, and they import src/index.ts, which must be the server's own modules, not a second copy beside dist/).
 */
function serverArgs (env: Record<string, string>, cwd: string, refusedAtConfig: boolean): string[] {
  const main = compiled('src/main.ts')
  return main !== undefined && (refusedAtConfig || javaScriptHandlers(env, cwd)) ? [main] : ['--import', 'tsx', 'src/main.ts']
}

export interface ServerProcess {
  child: ChildProcess
  /** Resolves with the base URL once the server logs that it listens. */
  ready: Promise<string>
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>
  stdout: () => string
  stderr: () => string
}

/**
 * Runs a command from the repo root (or `cwd`) with only `env` (plus PATH/HOME, HOST/PORT and no shedding), as a user
 * would in a fresh shell; by default the server (`serverArgs`). `refusedAtConfig`: the test expects the start to stop
 * at the configuration, before any handler module loads, so the compiled server runs whatever the handlers are.
 */
export function startServerProcess (options: { command?: string, args?: string[], env: Record<string, string>, cwd?: string, refusedAtConfig?: boolean }): ServerProcess {
  const cwd = options.cwd ?? REPO_ROOT
  const child = spawn(options.command ?? process.execPath, options.args ?? serverArgs(options.env, cwd, options.refusedAtConfig === true), {
    cwd,
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

// The checks `npm run check` (scripts/check.js) and `npm test` (scripts/test.js --checks) run: the type check
// (TypeScript 7's native tsc, build-inputs.js says why), the build of dist/, and the lint. Both checks keep a cache in
// node_modules/.cache (tsc's build info, eslint's per-file results keyed by content), so a run after a small change
// checks only what it touched. On a fresh clone the lint is the long one: ~20 s of CPU on one thread, against tsc's
// ~8 s on several; a run after a small change takes a few seconds.
//
// dist/ is built without tsc's own type check (scripts/build.js --no-check: emit only), since the first tsc checks
// the same sources; dist/ is marked built from the sources as they are (build-inputs.js) only when that type check
// and the build both succeeded, so the test runner's build after it, and npm pack's, have nothing to do.
import { spawn } from 'node:child_process'
import { setPriority } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { distIsCurrent, inputsDigest, recordInputs, TSC } from './build-inputs.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs node with `args` in the repository (no shell, no npx: a path with a space in it stays one argument on Windows
 * too): its process, and its exit code to come (1 if it could not start or was ended by a signal). `output`, when
 * given, collects what it prints instead of showing it; `signal` (an AbortSignal) ends it.
 */
function runNode (args, { output, signal } = {}) {
  const child = spawn(process.execPath, args, { cwd: root, signal, stdio: output === undefined ? 'inherit' : ['ignore', 'pipe', 'pipe'] })
  if (output !== undefined) for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => { output.push(chunk) })
  const code = new Promise((resolve) => {
    // 'error' when it could not start (or was aborted); 'close' follows only if it had started.
    child.on('error', (error) => {
      if (error.name !== 'AbortError') process.stderr.write(`scripts/checks.js: node ${args[0]}: ${error.message}\n`)
      resolve(1)
    })
    child.on('close', (exitCode) => { resolve(exitCode ?? 1) })
  })
  return { child, code }
}

/** The type check, and dist/ built beside it when it is not current; true when both succeeded. */
export async function typecheckAndBuild ({ signal } = {}) {
  // Taken before tsc starts, as scripts/build.js does: a source edited meanwhile makes the next build run again.
  const digest = distIsCurrent() ? undefined : inputsDigest()
  const [typecheck, build] = await Promise.all([
    runNode([TSC, '--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/fanbot/tsc.tsbuildinfo'], { signal }).code,
    digest === undefined ? 0 : runNode(['scripts/build.js', '--no-check'], { signal }).code
  ])
  if (digest !== undefined && typecheck === 0 && build === 0) recordInputs(digest)
  return typecheck === 0 && build === 0
}

/**
 * eslint on the repository: its process, and its exit code to come. `output` collects what it prints instead of
 * showing it (in colour when this process writes to a terminal). `background`: at the lowest CPU priority (nice 19),
 * so that it takes only a core nothing else wants.
 */
export function lint ({ output, background = false, signal } = {}) {
  const eslint = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js')
  const color = output !== undefined && process.stdout.isTTY ? ['--color'] : []
  const run = runNode([eslint, ...color, '--cache', '--cache-strategy', 'content', '--cache-location', 'node_modules/.cache/fanbot/eslint', '.'], { output, signal })
  if (background && run.child.pid !== undefined) {
    try {
      setPriority(run.child.pid, 19)
    } catch {
      // It has exited already (it could not start): its exit code says so.
    }
  }
  return run
}

// `npm run check`: the type check (TypeScript 7's native tsc, build-inputs.js says why) and the lint side by side,
// and the build of dist/ beside them. Their output goes through as it comes; the exit code is 1 if any failed.
// Both checks keep a cache in node_modules/.cache (tsc's build info, eslint's per-file results keyed by content), so a
// run after a small change checks only what it touched. On a fresh clone the lint is the long one: ~20 s of CPU on
// one thread, against tsc's ~8 s on several; a run after a small change takes a few seconds.
//
// dist/ is built without tsc's own type check (scripts/build.js --no-check: emit only), since the first tsc checks
// the same sources; dist/ is marked built from the sources as they are (build-inputs.js) only when that type check
// and the build both succeeded, so the test runner's build after it, and npm pack's, have nothing to do.
//
// `npm test` (scripts/test.js --checks) runs the same steps, but starts the tests once the type check and the build
// are done, with the lint beside them at the lowest CPU priority (scripts/test.js says why).
import { spawn } from 'node:child_process'
import { setPriority } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { distIsCurrent, inputsDigest, recordInputs, TSC } from './build-inputs.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs node with `args` in the repository (no shell, no npx: a path with a space in it stays one argument on Windows
 * too); resolves to the exit code. `output`, when given, collects what it prints instead of showing it.
 */
function runNode (args, output) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: output === undefined ? 'inherit' : ['ignore', 'pipe', 'pipe'] })
  if (output !== undefined) for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => { output.push(chunk) })
  return { child, code: new Promise((resolve) => { child.on('close', (code) => { resolve(code ?? 1) }) }) }
}

/** The type check, and dist/ built beside it when it is not current; true when both succeeded. */
export async function typecheckAndBuild () {
  // Taken before tsc starts, as scripts/build.js does: a source edited meanwhile makes the next build run again.
  const digest = distIsCurrent() ? undefined : inputsDigest()
  const [typecheck, build] = await Promise.all([
    runNode([TSC, '--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/fanbot/tsc.tsbuildinfo']).code,
    digest === undefined ? 0 : runNode(['scripts/build.js', '--no-check']).code
  ])
  if (digest !== undefined && typecheck === 0 && build === 0) recordInputs(digest)
  return typecheck === 0 && build === 0
}

/**
 * eslint on the repository: its process, and its exit code to come. `output` collects what it prints instead of
 * showing it. `background`: at the lowest CPU priority (nice 19), so that it takes only a core nothing else wants.
 */
export function lint ({ output, background = false } = {}) {
  const eslint = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js')
  const run = runNode([eslint, '--cache', '--cache-strategy', 'content', '--cache-location', 'node_modules/.cache/fanbot/eslint', '.'], output)
  if (background && run.child.pid !== undefined) {
    try {
      setPriority(run.child.pid, 19)
    } catch {
      // Not allowed here (a container without the right, say): it runs at normal priority, only slower overall.
    }
  }
  return run
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [typesAndBuild, lintCode] = await Promise.all([typecheckAndBuild(), lint().code])
  process.exitCode = typesAndBuild && lintCode === 0 ? 0 : 1
}

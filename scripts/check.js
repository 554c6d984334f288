// `npm run check`: the typecheck and the lint side by side. Each is single-threaded, so on two cores running them
// together halves their wall time. Their output goes through as it comes; the exit code is 1 if either failed.
// Both keep a cache in node_modules/.cache (tsc's build info, eslint's per-file results keyed by content), so a run
// after a small change checks only what it touched: ~25 s of CPU on a fresh clone, a few seconds after that.
//
// Beside them, dist/ is built without tsc's own type check (scripts/build.js --no-check: emit only), since the first
// tsc checks the same sources; dist/ is marked built from the sources as they are (build-inputs.js) only when that
// type check and the build both succeeded, so the test runner's build after it, and npm pack's, have nothing to do.
// A fresh clone's build costs ~6 s of CPU this way instead of ~15 s for a second full type check.
import { spawn } from 'node:child_process'
import { distIsCurrent, inputsDigest, recordInputs } from './build-inputs.js'

const run = (command, args) => new Promise((resolve) => {
  const child = spawn(command, args, { stdio: 'inherit', shell: process.platform === 'win32' })
  child.on('close', (code) => { resolve(code ?? 1) })
})

// Taken before tsc starts, as scripts/build.js does: a source edited meanwhile makes the next build run again.
const digest = distIsCurrent() ? undefined : inputsDigest()
const codes = await Promise.all([
  run('npx', ['tsc', '--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/fanbot/tsc.tsbuildinfo']),
  run('npx', ['eslint', '--cache', '--cache-strategy', 'content', '--cache-location', 'node_modules/.cache/fanbot/eslint', '.']),
  digest === undefined ? 0 : run(process.execPath, ['scripts/build.js', '--no-check'])
])
if (digest !== undefined && codes[0] === 0 && codes[2] === 0) recordInputs(digest)
process.exitCode = codes.every((code) => code === 0) ? 0 : 1

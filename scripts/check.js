// `npm run check`: the type check (TypeScript 7's native tsc, build-inputs.js says why) and the lint side by side,
// and the build of dist/ beside them. Their output goes through as it comes; the exit code is 1 if any failed.
// Both checks keep a cache in node_modules/.cache (tsc's build info, eslint's per-file results keyed by content), so a
// run after a small change checks only what it touched. On a fresh clone the lint is the long one: ~20 s of CPU on
// one thread, against tsc's ~8 s on several; a run after a small change takes a few seconds.
//
// dist/ is built without tsc's own type check (scripts/build.js --no-check: emit only), since the first tsc checks
// the same sources; dist/ is marked built from the sources as they are (build-inputs.js) only when that type check
// and the build both succeeded, so the test runner's build after it, and npm pack's, have nothing to do.
import { spawn } from 'node:child_process'
import { distIsCurrent, inputsDigest, recordInputs, TSC } from './build-inputs.js'

// Only npx needs a shell on Windows (it is npx.cmd there); node is run without one, so that a path with a space in it
// (C:\Program Files\nodejs\node.exe) stays one argument.
const run = (command, args) => new Promise((resolve) => {
  const child = spawn(command, args, { stdio: 'inherit', shell: process.platform === 'win32' && command === 'npx' })
  child.on('close', (code) => { resolve(code ?? 1) })
})

// Taken before tsc starts, as scripts/build.js does: a source edited meanwhile makes the next build run again.
const digest = distIsCurrent() ? undefined : inputsDigest()
const codes = await Promise.all([
  run(process.execPath, [TSC, '--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/fanbot/tsc.tsbuildinfo']),
  run('npx', ['eslint', '--cache', '--cache-strategy', 'content', '--cache-location', 'node_modules/.cache/fanbot/eslint', '.']),
  digest === undefined ? 0 : run(process.execPath, ['scripts/build.js', '--no-check'])
])
if (digest !== undefined && codes[0] === 0 && codes[2] === 0) recordInputs(digest)
process.exitCode = codes.every((code) => code === 0) ? 0 : 1

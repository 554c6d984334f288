// `npm run build` (npm pack runs it first): src/ and routes/ compiled to dist/ by tsc (tsconfig.build.json).
//
// Incremental: tsc keeps its build info in dist/.tsbuildinfo, so a build with nothing changed (npm pack in the test
// suite, after the first) re-emits nothing and skips the type check: ~1 s of CPU instead of ~5 (TypeScript 7's tsc,
// build-inputs.js). The build info lives inside dist/ on purpose: tsc never looks at its outputs, so build info kept
// without them would emit nothing; removing dist/ removes both, and the next build is a full one. What a full rebuild
// (rm -rf dist) also did is done here: outputs whose source is gone are deleted, so no stale module is packed.
//
// Skipped when dist/ was built from the sources as they are (build-inputs.js: a digest of every input, recorded
// after a build that succeeded): the test runner builds before every run, and npm pack builds again in the
// packed-package test, and each of those is then ~30 ms instead of tsc's ~1 s of CPU for finding nothing to do.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { distIsCurrent, forgetInputs, inputsDigest, recordInputs, TSC } from './build-inputs.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = path.join(root, 'dist')

/** The source a file in dist/ was compiled from (rootDir is the repository): `dist/src/a.js` and `.d.ts` from `src/a.ts`. */
function sourceOf (output) {
  const relative = path.relative(dist, output)
  return path.join(root, relative.replace(/(\.d\.ts|\.js)$/, '.ts'))
}

function prune (dir) {
  if (!existsSync(dir)) return
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) prune(file)
    else if (!existsSync(sourceOf(file))) rmSync(file)
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true })
}

// `--no-check`: emit only (tsc's --noCheck, a third of the CPU), for `npm run check`, whose own tsc type-checks the
// same sources side by side and which records the digest only when both succeeded. Without it dist/ is not marked
// current, so a later build (npm pack) type-checks what was not checked; tsc's build info knows the check is pending.
const noCheck = process.argv.includes('--no-check')
if (!distIsCurrent()) {
  // Taken before tsc starts: a source edited while it runs makes the next build run again.
  const digest = inputsDigest()
  forgetInputs()
  for (const folder of ['src', 'routes']) prune(path.join(dist, folder))
  const build = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', path.join(dist, '.tsbuildinfo'), ...(noCheck ? ['--noCheck'] : [])], { cwd: root, stdio: 'inherit' })
  if (build.status === 0 && !noCheck) recordInputs(digest)
  process.exitCode = build.status ?? 1
}

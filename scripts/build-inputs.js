// What dist/ is built from, as one digest: the build (scripts/build.js) records it in dist/ when tsc succeeds, and
// skips tsc when it still matches; test helpers run the compiled server and CLI only when it matches, so a test can
// never run a stale build (an edited source, a source added or removed, another tsconfig or TypeScript).
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
export const DIST = path.join(root, 'dist')
const STAMP = path.join(DIST, '.inputs-sha256')
/**
 * The compiler of the type check and the build: TypeScript 7, the native one, less CPU than 5.9's for the same check
 * (a fresh type check of the repository ~2.5x less: 20 s of CPU → 8 s; one after a small change ~4x). Installed
 * under the alias typescript-native, called by its path: the package named `typescript` stays at 5.9 for
 * typescript-eslint's parser and the benchmark's transpileModule, which need the JavaScript API that 7 does not have,
 * and which of the two `node_modules/.bin/tsc` links to depends on how npm installed them. package.json's typecheck
 * and build:image scripts (the Dockerfile's build stage, the bench's image) name the same path.
 */
export const TSC = path.join(root, 'node_modules', 'typescript-native', 'bin', 'tsc')
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'node_modules/typescript-native/package.json', 'scripts/build.js']

/** Every .ts file under `dir` (relative to the repository), sorted. */
function sources (dir) {
  const absolute = path.join(root, dir)
  if (!existsSync(absolute)) return []
  return readdirSync(absolute, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    // parentPath from Node 20.12; path before it
    .map((entry) => path.relative(root, path.join(entry.parentPath ?? entry.path, entry.name)))
    .sort()
}

/** The digest of every input's path and content: some 30 ms for the ~180 files. */
export function inputsDigest () {
  const hash = createHash('sha256')
  for (const file of [...CONFIGS, ...sources('src'), ...sources('routes')]) {
    hash.update(`${file}\0`)
    hash.update(existsSync(path.join(root, file)) ? readFileSync(path.join(root, file)) : '(none)')
    hash.update('\0')
  }
  return hash.digest('hex')
}

/** dist/ was built by scripts/build.js from the sources as they are now, and its entry points are there. */
export function distIsCurrent () {
  if (!existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== inputsDigest()) return false
  return [...sources('src'), ...sources('routes')].every((file) => file.endsWith('.d.ts') || existsSync(path.join(DIST, file.replace(/\.ts$/, '.js'))))
}

export function recordInputs (digest) {
  writeFileSync(STAMP, digest)
}

/**
 * dist/ is no longer marked current: called before a build writes to it. A build that fails, or emits without the
 * type check and whose check then fails, leaves dist/ unmarked, so a later build runs again and prunes what it
 * wrote (a module whose source was removed meanwhile would otherwise be packed by npm pack).
 */
export function forgetInputs () {
  rmSync(STAMP, { force: true })
}

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { tempDir } from '../helpers/cli.ts'
import { REPO_ROOT } from '../helpers/server-process.ts'

/**
 * scripts/build.js and build-inputs.js on a repository of their own: the scripts, the tsconfigs and package.json
 * copied from this one, node_modules linked, and a src/ of one file, so that each build takes a fraction of a second.
 */
async function miniRepository (dir: string): Promise<void> {
  await mkdir(path.join(dir, 'scripts'))
  for (const file of ['scripts/build.js', 'scripts/build-inputs.js', 'tsconfig.json', 'tsconfig.build.json', 'package.json']) {
    await copyFile(path.join(REPO_ROOT, file), path.join(dir, file))
  }
  // A junction on Windows (a symlink there needs developer mode); the type is ignored elsewhere.
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'junction')
  await mkdir(path.join(dir, 'src'))
  await mkdir(path.join(dir, 'routes'))
  await writeFile(path.join(dir, 'src', 'a.ts'), 'export const a = 1\n')
}

function build (dir: string, ...args: string[]): void {
  const run = spawnSync(process.execPath, ['scripts/build.js', ...args], { cwd: dir, encoding: 'utf8' })
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`)
}

test('a build that emits without its type check leaves dist/ unmarked: a module whose source is then removed is pruned by the next build, not packed', async (t) => {
  const dir = await tempDir(t, 'fanbot-build-')
  await miniRepository(dir)
  const inputs = await import(pathToFileURL(path.join(dir, 'scripts', 'build-inputs.js')).href) as { distIsCurrent: () => boolean }
  build(dir)
  assert.equal(inputs.distIsCurrent(), true, 'a build that type-checked marks dist/ current')

  // What `npm run check` does with a type error: the build beside the type check emits it (--no-check), and the
  // type check's failure leaves the digest unrecorded. Then the faulty file is deleted.
  const stray = path.join(dir, 'src', 'stray.ts')
  await writeFile(stray, 'export const b: number = "not a number"\n')
  build(dir, '--no-check')
  assert.ok(existsSync(path.join(dir, 'dist', 'src', 'stray.js')), 'emitted without its type check')
  await rm(stray)

  // The sources are as they were at the last recorded build, but dist/ holds stray.js: it must not count as current,
  // or npm pack (whose build is skipped when dist/ is current) would ship it.
  assert.equal(inputs.distIsCurrent(), false)
  build(dir)
  assert.equal(existsSync(path.join(dir, 'dist', 'src', 'stray.js')), false, 'pruned by the next build')
  assert.equal(inputs.distIsCurrent(), true)
})

/**
 * No Docker engine runs where we test, so the Dockerfile is checked as data here, and `.ci/run` replays its build
 * and start commands in a temporary folder (scripts/replay-dockerfile.ts).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { envOf, execForm, readDockerfile } from '../helpers/dockerfile.ts'
import { REPO_ROOT } from '../helpers/server-process.ts'

const instructions = readDockerfile()
const lastStage = Math.max(...instructions.map((instruction) => instruction.stage))
const runtime = instructions.filter((instruction) => instruction.stage === lastStage)
const build = instructions.filter((instruction) => instruction.stage === 0)
const args = (list: typeof instructions, keyword: string): string[] => list.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)

describe('Dockerfile', () => {
  test('is multi-stage: a build stage with the full dev dependencies, then the runtime stage', () => {
    assert.ok(lastStage >= 1)
    assert.ok(args(build, 'RUN').some((run) => /^npm ci\b/.test(run) && !run.includes('--omit=dev')), 'build stage installs everything')
    assert.ok(args(build, 'RUN').some((run) => run.includes('npm run typecheck')), 'build stage checks the sources')
  })

  test('runs on a slim Node LTS image pinned to an exact version (the same in every stage)', () => {
    const images = args(instructions, 'FROM').map((from) => from.split(/\s+/)[0] ?? '')
    for (const image of images) assert.match(image, /^node:(2[02468])\.\d+\.\d+-(bookworm|trixie)-slim$/, image)
    assert.equal(new Set(images).size, 1)
  })

  test('the runtime stage installs production dependencies only and copies no tests', () => {
    assert.ok(args(runtime, 'RUN').some((run) => run.includes('npm ci') && run.includes('--omit=dev')))
    assert.ok(!args(runtime, 'COPY').some((copy) => /\btest\b/.test(copy)))
  })

  test('the image runs compiled JavaScript: the build stage compiles, the runtime stage copies only its output', () => {
    // Node 24's type stripping costs an idle server ~25 MiB (bench/README.md, idle RSS): production runs plain JS.
    assert.ok(args(build, 'RUN').some((run) => run.includes('npm run build:image')), 'build stage compiles')
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
    assert.match(scripts['build:image'] ?? '', /\btsc -p tsconfig\.image\.json$/, 'npm run build:image compiles with tsconfig.image.json')
    const cmd = execForm(args(runtime, 'CMD').at(-1) ?? '') ?? []
    assert.ok(cmd.some((arg) => /^src\/main\.js$/.test(arg)), `CMD runs the compiled entry: ${cmd.join(' ')}`)
    assert.ok(!cmd.some((arg) => arg.endsWith('.ts') || arg === 'tsx' || arg.includes('--import')), 'no loader, no .ts')
    for (const folder of ['src', 'routes', 'handlers']) {
      assert.ok(args(runtime, 'COPY').includes(`--from=build /app/image/${folder} ./${folder}`), `${folder}/ is the compiled one`)
    }
    const image = JSON.parse(readFileSync(`${REPO_ROOT}tsconfig.image.json`, 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { compilerOptions: Record<string, unknown>, include: string[] }
    assert.equal(image.compilerOptions.outDir, 'image')
    assert.equal(image.compilerOptions.rewriteRelativeImportExtensions, true, "'./x.ts' imports become './x.js'")
    assert.deepEqual(image.include, ['src', 'routes', 'handlers'])
  })

  test('runs as the non-root node user, listening on 0.0.0.0', () => {
    assert.deepEqual(args(runtime, 'USER'), ['node'])
    // The push stream position is written by the node user under WORKDIR (WEIBO_PUSH_SINCE_ID_FILE=data/…).
    assert.ok(args(runtime, 'RUN').some((run) => /mkdir -p data && chown node:node data/.test(run)), 'data/ is writable by node')
    assert.equal(envOf(instructions, lastStage).HOST, '0.0.0.0')
  })

  test('CMD is exec-form and starts node itself (not npm), so SIGTERM reaches the graceful shutdown', () => {
    const cmd = execForm(args(runtime, 'CMD').at(-1) ?? '')
    assert.ok(cmd !== undefined, 'CMD must be exec-form (a JSON array)')
    assert.equal(cmd[0], 'node')
    assert.ok(!cmd.includes('npm'))
  })

  test('HEALTHCHECK asks /healthz with node (the slim image has no curl or wget)', () => {
    const [healthcheck] = args(runtime, 'HEALTHCHECK')
    assert.ok(healthcheck !== undefined)
    const cmd = execForm(healthcheck)
    assert.equal(cmd?.[0], 'node')
    assert.match(healthcheck, /\/healthz/)
    assert.doesNotMatch(healthcheck, /\bcurl\b|\bwget\b/)
  })

  test('.dockerignore keeps tests, .git, node_modules and local env files out, but not .env.example', () => {
    const ignored = readFileSync(`${REPO_ROOT}.dockerignore`, 'utf8').split('\n').map((line) => line.trim())
    for (const entry of ['.git', 'test', 'node_modules', '.env', '.env.*']) assert.ok(ignored.includes(entry), entry)
    assert.ok(ignored.includes('!.env.example'))
  })
})

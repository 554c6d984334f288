import { execFile } from 'node:child_process'
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Environment } from '../config.ts'
import { HELP_OPTION, noMorePositionals, parseCommandArgs } from './args.ts'
import { failure, usageError } from './cli-error.ts'
import { printHelp } from './help.ts'
import { out } from './print.ts'

const OPTIONS = { ...HELP_OPTION, from: { type: 'string' } } as const

/** Template files whose name npm pack would drop or treat specially are stored without their dot. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore', dockerignore: '.dockerignore', 'env.example': '.env.example' }

interface Manifest {
  name: string
  version: string
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

/** weibo-fanbot's own folder (a checkout or the installed package), found through its package.json export. */
function packageRoot (): string {
  return path.dirname(createRequire(import.meta.url).resolve('weibo-fanbot/package.json'))
}

async function exists (file: string): Promise<boolean> {
  return await stat(file).then(() => true, () => false)
}

type Source = { kind: 'registry' } | { kind: 'tarball' | 'checkout', path: string }

/** What --from names, checked before anything is written. */
async function sourceOf (from: string | undefined): Promise<Source> {
  if (from === undefined) return { kind: 'registry' }
  const source = path.resolve(from)
  const info = await stat(source).catch(() => undefined)
  if (info === undefined) throw usageError(`--from ${from}: no such file or folder`)
  if (info.isFile()) {
    if (!source.endsWith('.tgz')) throw usageError(`--from ${from}: give a weibo-fanbot checkout or a .tgz made by npm pack`)
    return { kind: 'tarball', path: source }
  }
  if (!await exists(path.join(source, 'package.json'))) throw usageError(`--from ${from}: not a package folder (no package.json)`)
  return { kind: 'checkout', path: source }
}

/**
 * The bot's dependency on weibo-fanbot. A tarball is copied into vendor/, a checkout is packed there (`npm pack`
 * builds it), so the project installs the same way on any machine and in its Docker image. Otherwise the
 * registry, by version.
 */
async function dependencySpec (source: Source, target: string, own: Manifest): Promise<string> {
  if (source.kind === 'registry') return `^${own.version}`
  const vendor = path.join(target, 'vendor')
  await mkdir(vendor, { recursive: true })
  if (source.kind === 'tarball') {
    await copyFile(source.path, path.join(vendor, path.basename(source.path)))
    return `file:vendor/${path.basename(source.path)}`
  }
  out(`packing ${source.path} (npm pack builds it)…`)
  const { stdout } = await promisify(execFile)('npm', ['pack', '--silent', '--pack-destination', vendor], { cwd: source.path })
    .catch((error: unknown) => { throw failure(`npm pack in ${source.path} failed: ${error instanceof Error ? error.message : String(error)}`) })
  const tarball = stdout.trim().split('\n').at(-1) ?? ''
  return `file:vendor/${tarball}`
}

/** The bot's package.json: its tools at the versions weibo-fanbot itself is built and tested with. */
function botManifest (name: string, spec: string, own: Manifest): string {
  const version = (dependency: string): string => own.devDependencies?.[dependency] ?? own.dependencies?.[dependency] ?? '*'
  return JSON.stringify({
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.12' },
    scripts: {
      start: 'weibo-fanbot serve',
      dev: 'weibo-fanbot dev',
      chat: 'weibo-fanbot chat',
      // tsx runs the .ts tests on every Node version (Node's own type stripping skips node_modules).
      test: 'tsx --test test/*.test.ts',
      typecheck: 'tsc --noEmit'
    },
    dependencies: { 'weibo-fanbot': spec },
    devDependencies: {
      '@types/node': version('@types/node'),
      'pino-pretty': version('pino-pretty'),
      tsx: version('tsx'),
      typescript: version('typescript')
    }
  }, null, 2) + '\n'
}

/** Copies the template folder, renaming dot-files and filling in the placeholders. */
async function copyTemplate (from: string, to: string, fill: Record<string, string>): Promise<string[]> {
  const written: string[] = []
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    const target = path.join(to, RENAMED[entry.name] ?? entry.name)
    if (entry.isDirectory()) {
      await mkdir(target, { recursive: true })
      written.push(...await copyTemplate(source, target, fill))
      continue
    }
    const text = (await readFile(source, 'utf8')).replace(/\{\{(\w+)\}\}/g, (placeholder, key: string) => fill[key] ?? placeholder)
    await writeFile(target, text)
    written.push(target)
  }
  return written
}

/**
 * `weibo-fanbot init <dir>`: a new bot project, this package as its dependency: two example handlers with a test
 * each, tsconfig, .env.example, Dockerfile and compose.yaml, a short README. The folder must be new or empty.
 */
export async function init (args: readonly string[], _env: Environment): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS)
  if (values.help === true) return printHelp('init')
  const [dir] = positionals
  if (dir === undefined) throw usageError('init needs the new project\'s folder, such as: weibo-fanbot init my-bot')
  noMorePositionals(positionals, 1, 'init takes one folder')
  const target = path.resolve(dir)
  const present = await readdir(target).catch(() => [])
  if (present.length > 0) throw usageError(`${dir} is not empty; init writes a new project into a new or empty folder`)

  const source = await sourceOf(values.from)
  const root = packageRoot()
  const own = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as Manifest
  await mkdir(target, { recursive: true })
  const spec = await dependencySpec(source, target, own)
  const vendored = source.kind !== 'registry'
  const name = path.basename(target).toLowerCase().replace(/[^a-z0-9._-]+/g, '-')
  await copyTemplate(path.join(root, 'templates', 'bot'), target, {
    name,
    vendorCopy: vendored ? '# The weibo-fanbot tarball the project depends on (init --from).\nCOPY vendor ./vendor\n' : ''
  })
  await writeFile(path.join(target, 'package.json'), botManifest(name, spec, own))

  out(`A new bot in ${target}, on weibo-fanbot ${spec}.`)
  if (!vendored) {
    out(`(weibo-fanbot is not on the npm registry yet: to install this one, run init again with --from ${root}, or --from a .tgz)`)
  }
  out('Next:')
  const relative = path.relative(process.cwd(), target)
  out(`  cd ${relative.startsWith('..') || path.isAbsolute(relative) ? target : relative}`)
  out('  npm install')
  out('  npm test                # the bot\'s own tests')
  out('  npx weibo-fanbot chat   # talk to it as a fan')
  out('  npm run dev             # the server, restarted on changes')
}

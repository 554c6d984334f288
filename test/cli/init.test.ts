import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, test } from 'node:test'
import { oneLineOf, runCli, runInProcess, tempDir } from '../helpers/cli.ts'

/** Every file under `dir`, as relative paths, sorted. */
async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}

describe('weibo-fanbot init', { concurrency: true }, () => {
  test('writes a bot project: handlers with a test each, config, Docker files, scripts on the CLI', async (t) => {
    const dir = path.join(await tempDir(t, 'cli-init-'), 'My Bot')
    const run = await runCli(['init', dir])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(await filesUnder(dir), [
      '.dockerignore', '.env.example', '.gitignore', 'Dockerfile', 'README.md', 'compose.yaml',
      'handlers/price.ts', 'handlers/welcome.ts', 'package.json', 'test/price.test.ts', 'test/welcome.test.ts', 'tsconfig.json'
    ])
    const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
      name: string, scripts: Record<string, string>, dependencies: Record<string, string>, devDependencies: Record<string, string>
    }
    const own = JSON.parse(await readFile('package.json', 'utf8')) as { version: string, dependencies: Record<string, string> }
    assert.equal(manifest.name, 'my-bot')
    assert.deepEqual(manifest.dependencies, { 'weibo-fanbot': `^${own.version}` })
    assert.equal(manifest.devDependencies.tsx, own.dependencies.tsx)
    assert.equal(manifest.scripts.start, 'weibo-fanbot serve')
    assert.equal(manifest.scripts.dev, 'weibo-fanbot dev')
    assert.equal(manifest.scripts.test, 'tsx --test test/*.test.ts')
    const tsconfig = JSON.parse(await readFile(path.join(dir, 'tsconfig.json'), 'utf8')) as { include: string[] }
    assert.deepEqual(tsconfig.include, ['handlers', 'test'])
    assert.match(await readFile(path.join(dir, 'README.md'), 'utf8'), /^# my-bot\n/)
    // Without a vendored tarball the image installs from the registry: no COPY of vendor/, no placeholder left.
    const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8')
    assert.doesNotMatch(dockerfile, /vendor|\{\{/)
    assert.match(dockerfile, /CMD \["node", "node_modules\/weibo-fanbot\/bin\/weibo-fanbot.js", "serve"\]/)
    assert.match(run.stdout, /not on the npm registry yet/)
  })

  test('--from a tarball: copied into vendor/, depended on there, and copied into the image before npm ci', async (t) => {
    const root = await tempDir(t, 'cli-init-from-')
    const tarball = path.join(root, 'weibo-fanbot-9.9.9.tgz')
    await writeFile(tarball, 'not really a tarball; init only copies it')
    const dir = path.join(root, 'bot')
    const run = await runCli(['init', dir, '--from', tarball])
    assert.equal(run.code, 0, run.stderr)
    const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    assert.deepEqual(manifest.dependencies, { 'weibo-fanbot': 'file:vendor/weibo-fanbot-9.9.9.tgz' })
    assert.equal(await readFile(path.join(dir, 'vendor', 'weibo-fanbot-9.9.9.tgz'), 'utf8'), 'not really a tarball; init only copies it')
    const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8')
    assert.ok(dockerfile.indexOf('COPY vendor ./vendor') > 0 && dockerfile.indexOf('COPY vendor ./vendor') < dockerfile.indexOf('npm ci'), dockerfile)
  })

  test('mistakes are usage errors in one line, and nothing is written', async (t) => {
    const root = await tempDir(t, 'cli-init-bad-')
    await writeFile(path.join(root, 'taken.txt'), 'x')
    const cases: Array<{ args: string[], message: RegExp }> = [
      { args: ['init'], message: /init needs the new project's folder/ },
      { args: ['init', root], message: /is not empty/ },
      { args: ['init', path.join(root, 'a'), 'b'], message: /unexpected argument "b"/ },
      { args: ['init', path.join(root, 'c'), '--from', path.join(root, 'nowhere')], message: /--from .*nowhere: no such file or folder/ },
      { args: ['init', path.join(root, 'd'), '--from', path.join(root, 'taken.txt')], message: /a \.tgz made by npm pack/ }
    ]
    for (const { args, message } of cases) {
      const run = await runInProcess(args)
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`)
      assert.match(oneLineOf(run.stderr), message)
    }
    assert.deepEqual(await readdir(root), ['taken.txt'])
  })
})

import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { COMMANDS, printHelp } from '../../src/cli/help.ts'
import { CONFIG_KEYS } from '../../src/config.ts'
import { ERRORS } from '../../src/errors.ts'
import { createMetrics } from '../../src/metrics.ts'
import { runInProcess } from '../helpers/cli.ts'
import { REPO_ROOT } from '../helpers/server-process.ts'

// The docs are the users' reference: what the code defines, they must document, and every link in them must lead
// somewhere. README.md is the front page; the reference lives in docs/.

/** Files other branches add (the lead's CONTRIBUTING.md, the scaffolding's getting-started): links to them are checked once they exist. */
const PROVIDED_ELSEWHERE = new Set<string>()

function read (file: string): string {
  return readFileSync(path.join(REPO_ROOT, file), 'utf8')
}

/** Every Markdown file of the repository (not node_modules, not dot-folders), relative to its root. */
function markdownFiles (dir = ''): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : markdownFiles(relative)
    return entry.name.endsWith('.md') ? [relative] : []
  }).sort()
}

/** The text outside fenced code blocks, line by line (a `#` in a shell block is no heading, a `](x)` there no link). */
function proseLines (markdown: string): string[] {
  let fence: string | undefined
  const lines: string[] = []
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1]
    if (marker !== undefined && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined
      continue
    }
    if (fence === undefined) lines.push(line)
  }
  return lines
}

/** GitHub's heading anchors (github-slugger): rendered text, lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
function anchors (markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1]
    if (heading === undefined) continue
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '')
    const slug = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    result.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return result
}

/** Relative links `[text](target)` of a file's prose (inline code spans removed first). */
function relativeLinks (markdown: string): string[] {
  const links: string[] = []
  for (const line of proseLines(markdown)) {
    for (const match of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] ?? ''
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push(target)
    }
  }
  return links
}

/** The first-column cells of a file's table rows that are a code span: `| \`NAME\` |`. */
function tableNames (markdown: string, pattern: RegExp): string[] {
  return proseLines(markdown).flatMap((line) => {
    const cell = /^\|\s*`([^`]+)`/.exec(line)?.[1]
    return cell !== undefined && pattern.test(cell) ? [cell] : []
  })
}

describe('docs', () => {
  test('every relative link and anchor in every Markdown file leads somewhere', () => {
    const broken: string[] = []
    for (const file of markdownFiles()) {
      const markdown = read(file)
      for (const link of relativeLinks(markdown)) {
        const [target = '', anchor] = link.split('#')
        const resolved = target === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(target)))
        if (!existsSync(path.join(REPO_ROOT, resolved))) {
          if (!PROVIDED_ELSEWHERE.has(resolved)) broken.push(`${file}: ${link} (no such file)`)
          continue
        }
        if (anchor === undefined) continue
        if (!resolved.endsWith('.md') || statSync(path.join(REPO_ROOT, resolved)).isDirectory()) {
          broken.push(`${file}: ${link} (an anchor into a file that is not Markdown)`)
        } else if (!anchors(read(resolved)).has(decodeURIComponent(anchor))) {
          broken.push(`${file}: ${link} (no heading #${anchor} in ${resolved})`)
        }
      }
    }
    assert.deepEqual(broken, [])
  })

  test('every file or folder of this repository that the docs name in code exists', () => {
    const missing: string[] = []
    for (const file of markdownFiles()) {
      for (const line of proseLines(read(file))) {
        for (const match of line.matchAll(/`((?:src|test|routes|handlers|bin|scripts|bench|docs)\/[\w./-]*)`/g)) {
          const named = match[1] ?? ''
          // A path of the project `weibo-fanbot init` writes (handlers/price.ts …) is checked in its template.
          if (!existsSync(path.join(REPO_ROOT, named)) && !existsSync(path.join(REPO_ROOT, 'templates/bot', named))) missing.push(`${file}: ${named}`)
        }
      }
    }
    assert.deepEqual(missing, [])
  })

  test('the link check knows GitHub\'s anchors', () => {
    const sample = '# Errors\n## `ctx.api`: the Weibo API client\n## Binding the URL in Weibo\'s console\n## Logs\n## Logs\n```sh\n# not a heading\n```\n## 中文快速上手\n'
    assert.deepEqual([...anchors(sample)], ['errors', 'ctxapi-the-weibo-api-client', 'binding-the-url-in-weibos-console', 'logs', 'logs-1', '中文快速上手'])
    assert.deepEqual(relativeLinks('[a](docs/x.md#y) [b](https://example.com) `[c](no.md)`\n```\n[d](no.md)\n```'), ['docs/x.md#y'])
  })

  test('the README is a front page: at most 250 lines, linking every document in docs/ and the Chinese quick start', () => {
    const readme = read('README.md')
    assert.ok(readme.split('\n').length <= 250, `README.md has ${readme.split('\n').length} lines`)
    const linked = new Set(relativeLinks(readme).map((link) => link.split('#')[0]))
    const documents = markdownFiles('docs').filter((file) => !file.startsWith('docs/examples/'))
    assert.deepEqual(documents.filter((file) => !linked.has(file)), [])
    assert.ok(linked.has('README.zh-CN.md'))
    for (const command of ['npm install', 'npm start', 'npm test']) assert.ok(readme.includes(command), command)
  })

  test('the Chinese quick start is in Chinese, with the set-up commands, and links back', () => {
    const zh = read('README.zh-CN.md')
    assert.ok((zh.match(/\p{Script=Han}/gu) ?? []).length > 300, 'mostly Chinese prose')
    for (const command of ['npm install', 'npm start', 'npm test']) assert.ok(zh.includes(command), command)
    assert.ok(relativeLinks(zh).includes('README.md'))
  })

  test('docs/configuration.md has one row per variable of the config schema, and none other', () => {
    const rows = tableNames(read('docs/configuration.md'), /^[A-Z][A-Z0-9_]+$/)
    assert.deepEqual(rows.filter((key) => !CONFIG_KEYS.includes(key)), [], 'rows for variables the schema does not read')
    assert.deepEqual(CONFIG_KEYS.filter((key) => !rows.includes(key)), [], 'variables without a row')
    assert.equal(new Set(rows).size, rows.length, 'a variable listed twice')
  })

  test('docs/errors.md has one row per error code, with its HTTP status, and none other', () => {
    const errors = read('docs/errors.md')
    const rows = tableNames(errors, /^WEIBO_ERR_/)
    assert.deepEqual(rows.filter((code) => !(code in ERRORS)), [], 'rows for codes that do not exist')
    const missing = Object.entries(ERRORS).filter(([code, spec]) => !errors.includes(`| \`${code}\` | ${spec.status} |`))
    assert.deepEqual(missing.map(([code]) => code), [], 'codes without a row (or with the wrong status)')
  })

  test('docs/operations.md has one row per weibo_fanbot_* metric, and none other', async () => {
    const metrics = createMetrics({ dedupEntries: () => 0 })
    metrics.expose({ pushStream: true, outbox: true, quota: true, redis: true })
    metrics.registry.registerMetric(metrics.dedupEntries) // exported without Redis: every metric once
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name).filter((name) => name.startsWith('weibo_fanbot_'))
    const rows = tableNames(read('docs/operations.md'), /^weibo_fanbot_/)
    assert.deepEqual(rows.filter((name) => !names.includes(name)), [], 'rows for metrics that do not exist')
    assert.deepEqual(names.filter((name) => !rows.includes(name)), [], 'metrics without a row')
  })

  test('docs/cli.md has a section per CLI command, and names every option of its help', () => {
    const cli = read('docs/cli.md')
    const headings = proseLines(cli).filter((line) => line.startsWith('### '))
    assert.deepEqual(COMMANDS.filter((command) => !headings.some((heading) => heading.startsWith(`### \`${command}`))), [])
    const written: string[] = []
    const write = process.stdout.write
    process.stdout.write = ((chunk: string) => { written.push(chunk); return true }) as typeof process.stdout.write
    try {
      printHelp()
      for (const command of COMMANDS) printHelp(command)
    } finally {
      process.stdout.write = write
    }
    const options = [...new Set(written.join('').match(/--[a-z][a-z-]*/g))]
    assert.deepEqual(options.filter((option) => !cli.includes(`\`${option}`)), [])
  })
})

describe('the chat transcripts in the docs', () => {
  /** `127.0.0.1:<port>` differs from run to run. */
  const normalise = (text: string): string => text.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').trimEnd()

  for (const file of ['README.md', 'README.zh-CN.md', 'docs/cli.md']) {
    test(`${file}: what chat prints today, for the in-process bot and the example handlers`, async () => {
      const blocks = [...read(file).matchAll(/```console\n\$ printf '([^']*)' \| npx weibo-fanbot chat\n([\s\S]*?)```/g)]
      assert.ok(blocks.length >= 1, 'a chat transcript')
      for (const [, input = '', shown = ''] of blocks) {
        // In this process, through the CLI's own entry (a process would cost ~2 s of CPU per transcript); chat's
        // own tests run one as a process, as `npx weibo-fanbot chat` does.
        const run = await runInProcess(['chat'], { input: input.replace(/\\n/g, '\n') })
        assert.equal(run.code, 0, run.stderr)
        assert.equal(normalise(run.stdout), normalise(shown))
      }
    })
  }
})

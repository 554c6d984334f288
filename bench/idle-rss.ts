import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { REPO_ROOT } from './load.ts'
import { freePort, serverCommand } from './node-command.ts'
import { fixed } from './report.ts'
import { BENCH_SECRET, quantile } from './traffic.ts'

/**
 * Idle RSS right after start (issue 13, goal 4): `src/main.ts --require-app-secret` started as the Docker CMD starts
 * it (on a Node with type stripping: no loader), NODE_ENV=production, the shipped handlers, no Redis. VmRSS from
 * /proc/<pid>/status 1.5 s after /healthz first answers, over `--runs` starts; median and range.
 *
 *   npx tsx bench/idle-rss.ts --node=PATH [--runs=5] [--node-flags="--max-semi-space-size=1"] [--env=K=V,...]
 *                             [--root=DIR --entry=src/main.js]   (a laid-out image, e.g. the compiled build)
 */
const { values } = parseArgs({
  options: {
    node: { type: 'string', default: process.execPath },
    runs: { type: 'string', default: '5' },
    'node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    root: { type: 'string', default: REPO_ROOT },
    entry: { type: 'string', default: 'src/main.ts' }
  }
})
const node = values.node
const runs = Number(values.runs)
const nodeFlags = values['node-flags'].split(' ').filter((flag) => flag !== '')
const extraEnv = Object.fromEntries(values.env.split(',').filter((pair) => pair !== '').map((pair) => pair.split('=', 2) as [string, string]))

function status (pid: number, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN)
}

async function oneStart (): Promise<{ rssKiB: number, anonKiB: number, fileKiB: number, healthyMs: number }> {
  const port = await freePort()
  const started = performance.now()
  const loader = values.entry.endsWith('.ts') ? serverCommand(node) : []
  const child = spawn(node, [...nodeFlags, ...loader, values.entry, '--require-app-secret'], {
    cwd: values.root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), WEIBO_APP_SECRET: BENCH_SECRET, LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const exited = once(child, 'exit')
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 800 || child.exitCode !== null) throw new Error('src/main.ts did not start')
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break
      } catch {}
      await sleep(10)
    }
    const healthyMs = performance.now() - started
    await sleep(1500) // "right after start": settled, before any push
    const pid = child.pid ?? 0
    return { rssKiB: status(pid, 'VmRSS'), anonKiB: status(pid, 'RssAnon'), fileKiB: status(pid, 'RssFile'), healthyMs }
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

const samples = []
for (let i = 0; i < runs; i++) samples.push(await oneStart())
const mib = (kib: number): string => fixed(kib / 1024, 1)
const summary = (name: string, list: number[], format: (value: number) => string): string =>
  `${name}: median ${format(quantile(list, 0.5))} (${format(Math.min(...list))}–${format(Math.max(...list))}; runs ${list.map(format).join(', ')})`
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
console.log(`node ${version} ${nodeFlags.join(' ')} ${values.entry} --require-app-secret ${values.env} (in ${values.root})`)
console.log(summary('VmRSS MiB', samples.map((sample) => sample.rssKiB), mib))
console.log(summary('  RssAnon MiB', samples.map((sample) => sample.anonKiB), mib))
console.log(summary('  RssFile MiB', samples.map((sample) => sample.fileKiB), mib))
console.log(summary('spawn → /healthz ms', samples.map((sample) => sample.healthyMs), (value) => fixed(value)))

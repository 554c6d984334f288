import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { freePort, mainCommand } from './node-command.ts'
import { fixed } from './report.ts'
import { BENCH_SECRET, quantile } from './traffic.ts'

/**
 * Idle RSS right after start (issue 13, goal 4): the server started as the Docker CMD starts it (`--image`: the
 * compiled `node src/main.js --require-app-secret` in image/, built as the Dockerfile's build stage does; without
 * it the sources, `src/main.ts`, through tsx on Node 20), NODE_ENV=production, the shipped handlers, no Redis.
 * VmRSS (and its anonymous and file-backed parts) from /proc/<pid>/status 1.5 s after /healthz first answers, over
 * `--runs` starts; median and range.
 *
 *   npx tsx bench/idle-rss.ts --node=PATH [--image] [--runs=5] [--node-flags="--max-semi-space-size=1"] [--env=K=V,...]
 */
const { values } = parseArgs({
  options: {
    node: { type: 'string', default: process.execPath },
    runs: { type: 'string', default: '5' },
    'node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    image: { type: 'boolean', default: false }
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
  const child = spawn(node, [...nodeFlags, ...command.args], {
    cwd: command.cwd,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), WEIBO_APP_SECRET: BENCH_SECRET, LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const exited = once(child, 'exit')
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 800 || child.exitCode !== null) throw new Error(`${command.label} did not start`)
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

const command = mainCommand(node, values.image)
const samples = []
for (let i = 0; i < runs; i++) samples.push(await oneStart())
const mib = (kib: number): string => fixed(kib / 1024, 1)
const summary = (name: string, list: number[], format: (value: number) => string): string =>
  `${name}: median ${format(quantile(list, 0.5))} (${format(Math.min(...list))}–${format(Math.max(...list))}; runs ${list.map(format).join(', ')})`
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
console.log(`node ${version} ${[...nodeFlags, command.label, values.env].join(' ')}`)
console.log(summary('VmRSS MiB', samples.map((sample) => sample.rssKiB), mib))
console.log(summary('  RssAnon MiB', samples.map((sample) => sample.anonKiB), mib))
console.log(summary('  RssFile MiB', samples.map((sample) => sample.fileKiB), mib))
console.log(summary('spawn → /healthz ms', samples.map((sample) => sample.healthyMs), (value) => fixed(value)))

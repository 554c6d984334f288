import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { runLoad, startBenchServer, type LoadResult } from './load.ts'
import { fixed, int, verdict, type BenchSettings, type Row, type ScenarioReport } from './report.ts'
import { BENCH_SECRET, CALLBACK_PATH } from './traffic.ts'
import { createWorkloadTraffic, type WorkloadTraffic } from './workload-traffic.ts'
import { freePort, imageCommand, mainCommand } from './node-command.ts'

/**
 * Scenario 6, the issue-13 workload: the server started as the Docker CMD starts it (`--image`: the compiled
 * `node src/main.js`; else the sources, through tsx on a Node without type stripping), NODE_ENV=production, one `on: '*'` handler answering
 * `ok <type>`, at LOG_LEVEL=warn and at info (the production default: one line per push, to /dev/null here), beside
 * bare Fastify in the same run. With `--pin`, servers run on cpu0 and the load generator on cpu1.
 */
const MIN_RATIO = 0.85
const MIN_CPU_RATIO = 0.6
const MAX_P99_MS = 15
const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

export interface Target {
  label: string
  pid: number
  url: string
  traffic: WorkloadTraffic
  runs: Array<LoadResult & { usPerRequest: number }>
  idleRssKiB?: number
  close: () => Promise<void>
}

/** CPU time of a process (all threads) in ms, from /proc: the same clock for the bare and the real server. */
export function cpuMs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * 1000 / TICKS_PER_S
}

function rssKiB (pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN)
}

export function pin (pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-c', '-p', String(cpu), String(pid)], { stdio: 'ignore' })
}

/** Production refuses /metrics without a token: the bench sets one to read the push counts. */
const METRICS_TOKEN = 'bench-metrics-token'

/** For `bench/alone.ts`: another copy of the image, more environment, Node flags. */
export interface StartOptions {
  imageDir?: string
  env?: Record<string, string>
  nodeFlags?: string[]
}

export async function startMain (logLevel: string, node: string, image: boolean, profileDir?: string, options: StartOptions = {}): Promise<Target> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const command = options.imageDir === undefined ? mainCommand(node, image) : imageCommand(options.imageDir)
  // With --profile: a V8 CPU profile per server, written when it exits after SIGTERM.
  const profile = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${profileDir}/fanbot-workload-${logLevel}`]
  const child: ChildProcess = spawn(node, [...profile, ...(options.nodeFlags ?? []), ...command.args], {
    cwd: command.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      WEIBO_APP_SECRET: BENCH_SECRET,
      CALLBACK_PATH,
      HANDLERS_DIR: command.workloadHandlersDir,
      METRICS_TOKEN,
      LOG_LEVEL: logLevel,
      ...options.env
    },
    stdio: ['ignore', 'ignore', 'inherit'] // info lines go to /dev/null: written, as to a pipe, but never read
  })
  const exited = once(child, 'exit')
  for (let attempt = 0; ; attempt++) {
    if (attempt > 400 || child.exitCode !== null) {
      child.kill('SIGKILL') // nothing left running when it never answered
      throw new Error(`src/main.ts (${logLevel}) did not start`)
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {}
    await sleep(25)
  }
  await sleep(1500) // "right after start": settled, before any push
  return {
    label: `fanbot, LOG_LEVEL=${logLevel}`,
    pid: child.pid ?? 0,
    url,
    traffic: createWorkloadTraffic({ url, checkReplies: true }),
    runs: [],
    idleRssKiB: rssKiB(child.pid ?? 0),
    close: async () => { child.kill('SIGTERM'); await exited }
  }
}

/** Bare Fastify (bench/server.ts) with the workload's traffic. */
export async function startBare (node: string, profileDir?: string): Promise<Target> {
  const server = await startBenchServer({ kind: 'bare', scenario: 'passive', secret: BENCH_SECRET, path: CALLBACK_PATH }, profileDir, node)
  return { label: 'bare Fastify', pid: server.pid, url: server.url, traffic: createWorkloadTraffic({ url: server.url }), runs: [], close: server.close }
}

export async function measure (target: Target, settings: Pick<BenchSettings, 'connections' | 'durationS'>): Promise<void> {
  const before = cpuMs(target.pid)
  const load = await runLoad({ url: target.url, connections: settings.connections, durationS: settings.durationS, traffic: target.traffic })
  target.runs.push({ ...load, usPerRequest: (cpuMs(target.pid) - before) * 1000 / load.result['2xx'] })
}

async function pushCounts (url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text()
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(/^weibo_fanbot_pushes_total\{type="[^"]+",outcome="([^"]+)"[^}]*\} (\d+)/gm)) {
    counts[match[1] ?? ''] = (counts[match[1] ?? ''] ?? 0) + Number(match[2])
  }
  return counts
}

const mean = (values: number[]): number => values.reduce((total, value) => total + value, 0) / values.length
const list = (values: number[], digits = 0): string => values.map((value) => fixed(value, digits)).join(', ')

export async function workloadScenario (settings: BenchSettings & { pin: boolean, node: string, image: boolean }): Promise<ScenarioReport> {
  if (settings.pin) pin(process.pid, 1)
  // Bare Fastify on the same Node as fanbot, so the ratio compares the code and not two V8 versions.
  const bare = await startBare(settings.node, settings.profileDir)
  const targets = [bare, await startMain('warn', settings.node, settings.image, settings.profileDir), await startMain('info', settings.node, settings.image, settings.profileDir)]
  try {
    for (const target of targets) {
      if (settings.pin) pin(target.pid, 0)
      await runLoad({ url: target.url, connections: settings.connections, durationS: settings.warmupS, traffic: target.traffic })
      target.traffic.reset()
    }
    for (let round = 0; round < settings.rounds; round++) {
      for (const target of targets) await measure(target, settings)
    }
    const rows: Row[] = []
    const bareRps = mean(bare.runs.map((run) => run.rps))
    const bareUs = mean(bare.runs.map((run) => run.usPerRequest))
    rows.push(
      { figure: 'bare Fastify: req/s (runs); CPU µs per request (runs)', value: `${int(bareRps)} (${list(bare.runs.map((run) => run.rps))}); ${fixed(bareUs, 1)} (${list(bare.runs.map((run) => run.usPerRequest), 1)})`, target: '', verdict: '' },
      // The floor fanbot's p99 is read against: what the same host, load generator and Node give a bare route.
      { figure: 'bare Fastify: p99 worst run (ms); p50 / p99 per run', value: `${fixed(Math.max(...bare.runs.map((run) => run.result.latency.p99)))}; ${bare.runs.map((run) => `${run.result.latency.p50} / ${run.result.latency.p99}`).join(', ')}`, target: '', verdict: '' }
    )
    for (const target of targets.slice(1)) {
      const rps = mean(target.runs.map((run) => run.rps))
      const us = mean(target.runs.map((run) => run.usPerRequest))
      const ratios = target.runs.map((run, index) => run.rps / (bare.runs[index]?.rps ?? Number.NaN))
      const p99 = Math.max(...target.runs.map((run) => run.result.latency.p99))
      const failures = target.runs.reduce((total, run) => total + run.result.non2xx + run.result.errors + run.result.timeouts, 0)
      const counts = await pushCounts(target.url)
      rows.push(
        { figure: `${target.label}: req/s (runs)`, value: `${int(rps)} (${list(target.runs.map((run) => run.rps))})`, target: '', verdict: '' },
        { figure: `${target.label}: req/s ratio to bare, mean (per round)`, value: `${fixed(rps / bareRps, 2)} (${list(ratios, 2)})`, target: `≥ ${MIN_RATIO}`, verdict: verdict(rps / bareRps >= MIN_RATIO) },
        { figure: `${target.label}: CPU µs per push (runs); ratio bare / fanbot`, value: `${fixed(us, 1)} (${list(target.runs.map((run) => run.usPerRequest), 1)}); ${fixed(bareUs / us, 2)}`, target: `≥ ${MIN_CPU_RATIO}`, verdict: verdict(bareUs / us >= MIN_CPU_RATIO) },
        { figure: `${target.label}: p99 worst run (ms); p50 / p99 per run`, value: `${fixed(p99)}; ${target.runs.map((run) => `${run.result.latency.p50} / ${run.result.latency.p99}`).join(', ')}`, target: `< ${MAX_P99_MS}`, verdict: verdict(p99 < MAX_P99_MS) },
        { figure: `${target.label}: server cores busy per run`, value: list(target.runs.map((run) => run.usPerRequest * run.rps / 1e6), 2), target: '', verdict: '' },
        { figure: `${target.label}: non-2xx + errors + timeouts; answers not "ok <type>"`, value: `${int(failures)}; ${int(target.traffic.log.wrongAnswers)}`, target: '0; 0', verdict: verdict(failures === 0 && target.traffic.log.wrongAnswers === 0) },
        { figure: `${target.label}: pushes by outcome (server metrics, warm-up included)`, value: Object.entries(counts).map(([outcome, count]) => `${outcome} ${int(count)}`).join(', '), target: '', verdict: '' },
        { figure: `${target.label}: idle RSS 1.5 s after start (MiB)`, value: fixed((target.idleRssKiB ?? Number.NaN) / 1024, 1), target: '≤ 90', verdict: verdict((target.idleRssKiB ?? Infinity) / 1024 <= 90) }
      )
    }
    return {
      title: '6. The issue-13 workload: mixed types, a new fan per push, 5 % retries, started as the Docker CMD',
      rows,
      notes: [
        `${settings.connections} connections; ${settings.rounds} rounds of ${settings.durationS} s per server (bare, warn, info in turn) after a ${settings.warmupS} s warm-up each; ` +
        `${settings.pin ? 'servers pinned to cpu0, load generator to cpu1 (taskset)' : 'not pinned (use --pin)'}.`,
        `Server: \`${[settings.node === process.execPath ? 'node' : settings.node, mainCommand(settings.node, settings.image).label].join(' ')}\`, NODE_ENV=production, ` +
        'HANDLERS_DIR=bench/workload-handlers (one `on: \'*\'` handler answering `ok <type>`), stdout to /dev/null. Bare Fastify runs on the same Node. CPU time from /proc/<pid>/stat for both servers.',
        'Pushes: 70 % text, 10 % each position, voice and image; a new sender and created_at per push; 5 % of requests re-send one of the last 5,000 pushes with a fresh signature.'
      ]
    }
  } finally {
    for (const target of targets) await target.close()
  }
}

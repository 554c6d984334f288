import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { signUrl } from '../src/simulator/callback-client.ts'
import { makePush, pushToJson } from '../src/simulator/push-factory.ts'
import { freePort, mainCommand, serverCommand } from './node-command.ts'
import { fixed, verdict, type ScenarioReport } from './report.ts'
import { cpuMs } from './workload.ts'
import { BENCH_SECRET, CALLBACK_PATH, quantile } from './traffic.ts'

const TARGET_MS = 1000
const GIVE_UP_MS = 20_000

/**
 * Spawns the server as the Docker CMD does (`image`: the compiled `node src/main.js`; else the sources, through tsx
 * on a Node without type stripping), production, the example handlers, and
 * polls it with a signed text push every 5 ms; the time is from spawn to the first 200 answer.
 */
async function oneColdStart (options: { disableTsxCache: boolean, node: string, image: boolean }): Promise<{ ms: number, cpuMs: number }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}${CALLBACK_PATH}`
  const body = pushToJson(makePush({ type: 'text', text: '你好' }))
  const command = mainCommand(options.node, options.image) // builds image/ the first time: before the clock starts
  const started = performance.now()
  const child = spawn(options.node, command.args, {
    cwd: command.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      WEIBO_APP_SECRET: BENCH_SECRET,
      LOG_LEVEL: 'warn',
      // A new container starts with an empty tsx cache: every .ts file is compiled on the way up.
      ...(options.disableTsxCache ? { TSX_DISABLE_CACHE: '1' } : {})
    },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const exited = once(child, 'exit')
  try {
    while (performance.now() - started < GIVE_UP_MS) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before answering`)
      try {
        const response = await fetch(signUrl({ url, secret: BENCH_SECRET }), { method: 'POST', body, signal: AbortSignal.timeout(2000) })
        await response.text()
        // CPU time too: on a loaded machine the wall time mostly measures the wait for a core.
        if (response.status === 200) return { ms: performance.now() - started, cpuMs: cpuMs(child.pid ?? 0) }
      } catch {
        // Not listening yet: poll again.
      }
      await sleep(5)
    }
    throw new Error(`no 200 answer within ${GIVE_UP_MS} ms`)
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

/**
 * Scenario 5: cold start to first answered push, `runs` times, on `node`, of the compiled image (`image`) or the
 * sources. With tsx's loader (the sources on a Node without type stripping) both a warm and a disabled tsx cache are
 * measured; compiled or on Node's own type stripping there is no cache.
 */
export async function coldStartScenario (runs: number, node = process.execPath, image = false): Promise<ScenarioReport> {
  const withTsx = !image && serverCommand(node).length > 0
  const warm: number[] = []
  const warmCpu: number[] = []
  const cold: number[] = []
  await oneColdStart({ disableTsxCache: false, node, image }) // fills the tsx and file caches, as any earlier start did
  for (let i = 0; i < runs; i++) {
    const start = await oneColdStart({ disableTsxCache: false, node, image })
    warm.push(start.ms)
    warmCpu.push(start.cpuMs)
    if (withTsx) cold.push((await oneColdStart({ disableTsxCache: true, node, image })).ms)
  }
  const median = (values: number[]): number => quantile(values, 0.5)
  const list = (values: number[]): string => values.map((value) => fixed(value)).join(', ')
  const command = [node === process.execPath ? 'node' : node, mainCommand(node, image).label].join(' ')
  const rows: ScenarioReport['rows'] = withTsx
    ? [
        { figure: 'spawn → first 200, tsx cache warm: median (ms)', value: `${fixed(median(warm))} (runs: ${list(warm)})`, target: `< ${TARGET_MS}`, verdict: verdict(median(warm) < TARGET_MS) },
        { figure: 'spawn → first 200, tsx cache off (a fresh container): median (ms)', value: `${fixed(median(cold))} (runs: ${list(cold)})`, target: `< ${TARGET_MS}`, verdict: verdict(median(cold) < TARGET_MS) }
      ]
    : [{ figure: `spawn → first 200, ${image ? 'compiled' : 'Node type stripping'}: median (ms)`, value: `${fixed(median(warm))} (runs: ${list(warm)})`, target: `< ${TARGET_MS}`, verdict: verdict(median(warm) < TARGET_MS) }]
  rows.push({ figure: 'server CPU time (all threads) until the first 200, median (ms)', value: `${fixed(median(warmCpu))} (runs: ${list(warmCpu)})`, target: '', verdict: '' })
  return {
    title: '5. Cold start to first answered push',
    rows,
    notes: [
      `The server is spawned as the Docker CMD runs it: \`${command}\`, NODE_ENV=production, the ` +
      'shipped example handlers, LOG_LEVEL=warn; the bench polls with a signed text push every 5 ms.',
      ...(withTsx
        ? ['tsx compiles each TypeScript file on first import and caches the result in the temp folder; a new container ' +
          'has no cache, so both cases are shown (`TSX_DISABLE_CACHE=1` for the second).']
        : [])
    ]
  }
}

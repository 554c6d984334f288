import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon, { type Result } from 'autocannon'
import type { ServerRequest, ServerSpec, ServerStats } from './server.ts'
import type { Traffic } from './traffic.ts'
import { serverCommand } from './node-command.ts'

export const BENCH_DIR = fileURLToPath(new URL('./', import.meta.url))
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))

export interface BenchServer {
  url: string
  /** The server process, for pinning it to a core (`--pin`) and reading its memory. */
  pid: number
  stats: () => Promise<ServerStats>
  /** Zeroes the server's CPU clock, handler counts and metrics (after the warm-up). */
  reset: () => Promise<void>
  /** Waits until no handler or late reply runs, then reports. */
  drain: () => Promise<ServerStats>
  close: () => Promise<void>
}

/**
 * Starts bench/server.ts in a child process, the same way for the real and the bare server; with `profileDir`,
 * under `--cpu-prof` (the profile is written when the server is closed); on `node` (with tsx where it cannot strip types).
 */
export async function startBenchServer (spec: ServerSpec, profileDir?: string, node = process.execPath): Promise<BenchServer> {
  const where = `${spec.kind}${spec.redisUrl === undefined ? '' : '-redis'}-${spec.scenario}`
  const profile = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${profileDir}/${where}`]
  const child = fork(`${BENCH_DIR}server.ts`, [JSON.stringify(spec)], {
    cwd: REPO_ROOT,
    execPath: node,
    execArgv: [...profile, ...serverCommand(node)],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const waiting = new Map<number, { resolve: (value: unknown) => void, reject: (error: Error) => void }>()
  let nextId = 0
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => { reject(new Error(`bench server (${spec.kind}) exited with ${String(code)} before listening`)) })
    child.on('message', (message: { ready?: boolean, port?: number, id?: number, value?: unknown, error?: string }) => {
      if (message.ready === true) resolve(message.port ?? 0)
      const pending = message.id === undefined ? undefined : waiting.get(message.id)
      if (pending === undefined) return
      waiting.delete(message.id ?? -1)
      if (message.error === undefined) pending.resolve(message.value)
      else pending.reject(new Error(message.error))
    })
  })
  const ask = async (type: ServerRequest['type']): Promise<unknown> => {
    const id = nextId++
    const answer = new Promise((resolve, reject) => { waiting.set(id, { resolve, reject }) })
    child.send({ type, id } satisfies ServerRequest)
    return await answer
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    stats: async () => await ask('stats') as ServerStats,
    reset: async () => { await ask('reset') },
    drain: async () => await ask('drain') as ServerStats,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return // gone already: nothing to ask
      const exited = new Promise((resolve) => child.once('exit', resolve))
      await ask('close')
      await exited
    }
  }
}

export interface LoadOptions {
  url: string
  connections: number
  durationS: number
  traffic: Pick<Traffic, 'request' | 'setTiming'>
}

export interface LoadResult {
  result: Result
  /** Completed 2xx responses per second over the run. */
  rps: number
  /** CPU the load generator (this process) used, as a share of one core: near 1.0 means it may be the limit. */
  clientCpu: number
}

/** One autocannon run from this process; traffic goes to 127.0.0.1 only. */
export async function runLoad (options: LoadOptions): Promise<LoadResult> {
  if (!options.url.startsWith('http://127.0.0.1:')) throw new Error(`bench traffic stays on loopback, not ${options.url}`)
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  // autocannon creates its clients, and builds their first requests, synchronously inside this call.
  options.traffic.setTiming(false)
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationS,
    requests: [options.traffic.request]
  })
  options.traffic.setTiming(true)
  const result = await instance
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  return {
    result,
    rps: result['2xx'] / result.duration,
    clientCpu: (cpu.user + cpu.system) / 1000 / wallMs
  }
}

/** Runs a short warm-up (JIT, connection pools), zeroes the server's counters, then the measured run. */
export async function warmThenRun (server: BenchServer, options: LoadOptions & { warmupS: number, traffic: Traffic }): Promise<LoadResult & { server: ServerStats }> {
  if (options.warmupS > 0) await runLoad({ ...options, durationS: options.warmupS })
  await server.reset()
  options.traffic.reset()
  const load = await runLoad(options)
  return { ...load, server: await server.stats() }
}

import { runLoad, startBenchServer, type BenchServer, type LoadResult } from './load.ts'
import { buildImage } from './node-command.ts'
import { fixed, int, verdict, type BenchSettings, type Row, type ScenarioReport } from './report.ts'
import type { ScenarioName } from './scenario-handlers.ts'
import type { ServerStats } from './server.ts'
import { BENCH_SECRET, CALLBACK_PATH, createTraffic, type Traffic } from './traffic.ts'
import { pin } from './workload.ts'
import { coreMeter, processorSampler } from './cpu-meters.ts'
import { readFileSync } from 'node:fs'
import { deleteKeys } from '../test/helpers/redis.ts'
import { Redis } from 'ioredis'

/** Where scenarios 1 and 2 run their servers: `--node`, `--pin` (servers cpu0, load cpu1), `--image` (compiled). */
export interface ServerPlacement {
  node: string
  pin: boolean
  image: boolean
}

const MIN_RATIO = 0.85
/** Issue 13: bare µs / fanbot µs per push, what the req/s ratio would be with both servers saturated. */
const MIN_CPU_RATIO = 0.6
const MAX_P99_MS = 15
/** Issue 13, goal 5: scale-out mode's passive path against the in-memory one, in the same run. */
const MIN_REDIS_RATIO = 0.6

interface Side {
  server: BenchServer
  traffic: Traffic
  /** `serverCpu`: cores the server kept busy; `serverUsPerRequest`: its CPU time per answered request. */
  runs: Array<LoadResult & { serverCpu: number, serverUsPerRequest: number, coresBusy: number[], redisUsPerRequest?: number, redisSamplesByCpu?: number[] | undefined }>
  /** Scenario 1b: Redis's own CPU time (main thread, seconds), read from INFO around each run. */
  redisCpuS?: () => Promise<number>
  /** Scenario 1b: Redis's process id when it runs on this machine (INFO's `process_id`), to see which core it ran on. */
  redisPid?: number | undefined
}

/** Redis's main-thread CPU seconds (user + system) from its INFO cpu section. */
function redisCpuSeconds (info: string): number {
  const read = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN)
  return read('used_cpu_user_main_thread') + read('used_cpu_sys_main_thread')
}

/** Redis's process id, if that process is a redis-server on this machine (else undefined: nothing to sample). */
async function localRedisPid (probe: Redis): Promise<number | undefined> {
  const pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))?.[1])
  try {
    return Number.isInteger(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('redis-server') ? pid : undefined
  } catch {
    return undefined
  }
}

/** One measured run, with the server's CPU use over it (from its own process clock). */
async function measure (side: Side, settings: BenchSettings): Promise<void> {
  const before = await side.server.stats()
  const redisBefore = await side.redisCpuS?.()
  const started = performance.now()
  const cores = coreMeter()
  const redisSamples = side.redisPid === undefined ? undefined : processorSampler(side.redisPid)
  let redisSamplesByCpu: number[] | undefined
  const load = await runLoad({ url: side.server.url, connections: settings.connections, durationS: settings.durationS, traffic: side.traffic })
    .finally(() => { redisSamplesByCpu = redisSamples?.() })
  const coresBusy = cores()
  const after = await side.server.stats()
  const redisAfter = await side.redisCpuS?.()
  const cpuMs = after.cpuMs - before.cpuMs
  const run = { ...load, serverCpu: cpuMs / (performance.now() - started), serverUsPerRequest: cpuMs * 1000 / load.result['2xx'], coresBusy }
  side.runs.push(redisBefore === undefined || redisAfter === undefined ? run : { ...run, redisUsPerRequest: (redisAfter - redisBefore) * 1e6 / load.result['2xx'], redisSamplesByCpu })
}

/** `list[index]`, which the caller knows is there. */
function at<T> (list: readonly T[], index: number): T {
  const value = list[index]
  if (value === undefined) throw new Error(`bench: no entry ${index} of ${list.length}`)
  return value
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0)
const mean = (values: number[]): number => sum(values) / values.length

/**
 * Runs bare Fastify and one real server per entry of `redisUrls` (undefined: in memory; a URL: scale-out mode on
 * that Redis, under a key prefix of its own) side by side: all started the same way, all warmed up, then `rounds`
 * of measured runs taken in turn (bare, then the real servers, their order swapped every other round), so that a
 * noisy minute falls on every side and a ratio between two sides compares runs seconds apart. Returns every side.
 */
async function sideBySide (scenario: ScenarioName, settings: BenchSettings & ServerPlacement, retryShare: number, redisUrls: ReadonlyArray<string | undefined>): Promise<{ bare: Side, reals: Side[], realStats: ServerStats[] }> {
  const spec = { scenario, secret: BENCH_SECRET, path: CALLBACK_PATH }
  if (settings.image) buildImage()
  if (settings.pin) pin(process.pid, 1)
  const started: BenchServer[] = []
  const redisPrefixes: Array<{ redisUrl: string, redisKeyPrefix: string }> = []
  const probes: Redis[] = []
  try {
    const bareServer = await startBenchServer({ ...spec, kind: 'bare' }, settings.profileDir, settings.node)
    started.push(bareServer)
    const bare: Side = { server: bareServer, traffic: createTraffic({ url: bareServer.url, retryShare }), runs: [] }
    const reals: Side[] = []
    for (const [index, redisUrl] of redisUrls.entries()) {
      const redis = redisUrl === undefined ? {} : { redisUrl, redisKeyPrefix: `bench-${process.pid}-${Date.now()}-${index}` }
      if (redis.redisUrl !== undefined) redisPrefixes.push(redis)
      const server = await startBenchServer({ ...spec, kind: 'real', image: settings.image, ...redis }, settings.profileDir, settings.node)
      started.push(server)
      const real: Side = { server, traffic: createTraffic({ url: server.url, retryShare, checkReplies: true }), runs: [] }
      if (redisUrl !== undefined) {
        const probe = new Redis(redisUrl)
        probes.push(probe)
        real.redisCpuS = async () => redisCpuSeconds(await probe.info('cpu'))
        real.redisPid = await localRedisPid(probe)
      }
      reals.push(real)
    }
    if (settings.pin) for (const server of started) pin(server.pid, 0)
    const sides = [bare, ...reals]
    for (const side of sides) {
      await runLoad({ url: side.server.url, connections: settings.connections, durationS: settings.warmupS, traffic: side.traffic })
      side.traffic.reset()
      await side.server.reset()
    }
    for (let round = 0; round < settings.rounds; round++) {
      // Bare first, then the fanbot servers, in reverse order every other round: a drift over the run falls on
      // each of them alike, not always on the last (the Redis-mode side of goal 5's ratio).
      const fanbots = round % 2 === 0 ? reals : [...reals].reverse()
      for (const side of [bare, ...fanbots]) await measure(side, settings)
    }
    const realStats: ServerStats[] = []
    for (const real of reals) realStats.push(await real.server.drain())
    return { bare, reals, realStats }
  } finally {
    // Each step for every server even if one fails (a server that crashed cannot be asked to close), so that none is
    // left running and no key is left behind; a clean-up failure is reported, not thrown over the run's own error.
    const cleanUp = [
      ...await Promise.allSettled(started.map(async (server) => { await server.close() })),
      ...probes.map((probe) => { probe.disconnect(); return { status: 'fulfilled' } as const }),
      // Their keys go with them: quota keys live 48 h, and every test's clean-up SCANs the whole shared Redis.
      ...await Promise.allSettled(redisPrefixes.map(async ({ redisUrl, redisKeyPrefix }) => { await deleteKeys(redisUrl, redisKeyPrefix) }))
    ]
    for (const step of cleanUp) if (step.status === 'rejected') console.error(`bench: clean-up after scenario ${scenario} failed: ${String(step.reason)}`)
  }
}

/**
 * The rows both throughput scenarios share: req/s of each side, the ratio, p99, errors. On Redis (1b, 2b) the
 * ratios to bare Fastify and the p99 are shown without goals 1 and 2's targets: issue 13 sets those on the in-memory
 * path (its figures were measured without Redis) and judges Redis mode against the in-memory figure (goal 5,
 * scenario 1b's own rows). On this bench Redis shares the two cores with the server and the load generator, which
 * lengthens 1b's queue (bench/README.md); in production it runs elsewhere.
 */
function throughputRows (real: Side, bare: Side, onRedis: boolean): Row[] {
  const inMemoryGoal = (target: string, met: boolean): Pick<Row, 'target' | 'verdict'> =>
    onRedis ? { target: '', verdict: '' } : { target, verdict: verdict(met) }
  const realRps = mean(real.runs.map((run) => run.rps))
  const bareRps = mean(bare.runs.map((run) => run.rps))
  const ratio = realRps / bareRps
  const realP99 = Math.max(...real.runs.map((run) => run.result.latency.p99))
  const failures = sum(real.runs.map((run) => run.result.non2xx + run.result.errors + run.result.timeouts))
  const realUs = mean(real.runs.map((run) => run.serverUsPerRequest))
  const bareUs = mean(bare.runs.map((run) => run.serverUsPerRequest))
  return [
    { figure: 'bare Fastify, req/s (mean of runs)', value: `${int(bareRps)} (${bare.runs.map((run) => int(run.rps)).join(', ')})`, target: '', verdict: '' },
    { figure: 'weibo-fanbot, req/s (mean of runs)', value: `${int(realRps)} (${real.runs.map((run) => int(run.rps)).join(', ')})`, target: '', verdict: '' },
    { figure: 'throughput ratio fanbot / bare', value: fixed(ratio, 2), ...inMemoryGoal(`≥ ${MIN_RATIO}`, ratio >= MIN_RATIO) },
    { figure: 'fanbot latency p99, worst run (ms)', value: fixed(realP99), ...inMemoryGoal(`< ${MAX_P99_MS}`, realP99 < MAX_P99_MS) },
    { figure: 'fanbot latency p50 / p97.5 (ms)', value: real.runs.map((run) => `${run.result.latency.p50} / ${run.result.latency.p97_5}`).join('; '), target: '', verdict: '' },
    { figure: 'bare latency p50 / p99 (ms)', value: bare.runs.map((run) => `${run.result.latency.p50} / ${run.result.latency.p99}`).join('; '), target: '', verdict: '' },
    { figure: 'fanbot non-2xx + errors + timeouts', value: int(failures), target: '0', verdict: verdict(failures === 0) },
    {
      figure: 'server CPU time per request, µs (bare; fanbot)',
      value: `${fixed(bareUs)} (${bare.runs.map((run) => fixed(run.serverUsPerRequest)).join(', ')}); ${fixed(realUs)} (${real.runs.map((run) => fixed(run.serverUsPerRequest)).join(', ')})`,
      target: '',
      verdict: ''
    },
    { figure: 'CPU-time ratio bare / fanbot (the req/s ratio a saturated core would give)', value: fixed(bareUs / realUs, 2), ...inMemoryGoal(`≥ ${MIN_CPU_RATIO}`, bareUs / realUs >= MIN_CPU_RATIO) },
    {
      figure: 'server CPU, cores busy (bare; fanbot)',
      value: `${bare.runs.map((run) => fixed(run.serverCpu, 2)).join(', ')}; ${real.runs.map((run) => fixed(run.serverCpu, 2)).join(', ')}`,
      target: '',
      verdict: ''
    },
    {
      figure: 'load generator CPU, cores busy (bare; fanbot)',
      value: `${bare.runs.map((run) => fixed(run.clientCpu, 2)).join(', ')}; ${real.runs.map((run) => fixed(run.clientCpu, 2)).join(', ')}`,
      target: '',
      verdict: ''
    },
    {
      figure: 'the machine\'s cores busy, by whatever ran there: cpu0 / cpu1 per run (bare; fanbot)',
      value: `${bare.runs.map(coresText).join(', ')}; ${real.runs.map(coresText).join(', ')}`,
      target: '',
      verdict: ''
    }
  ]
}

const coresText = (run: { coresBusy: number[] }): string => run.coresBusy.map((share) => fixed(share, 2)).join(' / ')

const runNote = (settings: BenchSettings & ServerPlacement): string =>
  `${settings.connections} connections, ${settings.rounds} alternating runs of ${settings.durationS} s per server after a ${settings.warmupS} s warm-up; ` +
  'every request a freshly signed URL (new timestamp and nonce); servers in their own processes, LOG_LEVEL silent; ' +
  `Node ${settings.node === process.execPath ? process.version : settings.node}; fanbot ${settings.image ? 'compiled, as the image runs it' : 'from the sources'}; ` +
  `${settings.pin ? 'servers pinned to cpu0, load generator to cpu1 (taskset)' : 'not pinned (use --pin)'}.`

/** The share of a sampler's counts on cpu0, as text ('n/a' without samples: Redis on another machine). */
function shareOnCpu0 (counts: number[] | undefined): string {
  const all = sum(counts ?? [])
  return all === 0 ? 'n/a' : fixed((counts?.[0] ?? 0) / all, 2)
}

/** A fanbot side's figures: req/s and server CPU µs per request, means of its runs. */
function figuresOf (side: Side): { rps: number, usPerRequest: number } {
  return { rps: mean(side.runs.map((run) => run.rps)), usPerRequest: mean(side.runs.map((run) => run.serverUsPerRequest)) }
}

/**
 * One passive-path report: scenario 1 (a server in memory), or 1b (one on Redis: its side reads Redis's CPU). With
 * REDIS_URL set the two are measured in turn, and each report is given the other's side: 1b compares its runs with
 * 1's, round by round (goal 5).
 */
function passiveReport (real: Side, bare: Side, settings: BenchSettings & ServerPlacement, other?: Side): ScenarioReport {
  const onRedis = real.redisCpuS !== undefined
  const wrong = real.traffic.log.wrongAnswers
  const rows: Row[] = [
    ...throughputRows(real, bare, onRedis),
    { figure: 'fanbot answers that were not the message\'s own passive reply', value: int(wrong), target: '0', verdict: verdict(wrong === 0) }
  ]
  if (onRedis && other !== undefined) { // `other`: scenario 1's side, in memory
    const redisUs = real.runs.map((run) => run.redisUsPerRequest ?? Number.NaN)
    const fanbot = figuresOf(real)
    const memory = figuresOf(other)
    const rpsRatio = fanbot.rps / memory.rps
    const cpuRatio = memory.usPerRequest / fanbot.usPerRequest
    rows.push(
      { figure: 'Redis\'s own CPU time per request, µs (its main thread, on the same two cores, not pinned)', value: `${fixed(mean(redisUs))} (${redisUs.map((us) => fixed(us)).join(', ')})`, target: '', verdict: '' },
      { figure: 'where Redis ran: share of samples (20 a second) on cpu0, the server\'s core, per run', value: real.runs.map((run) => shareOnCpu0(run.redisSamplesByCpu)).join(', '), target: '', verdict: '' },
      { figure: 'Redis mode / in memory (scenario 1, runs taken in turn with these), req/s', value: `${fixed(rpsRatio, 2)} (${real.runs.map((run, index) => fixed(run.rps / at(other.runs, index).rps, 2)).join(', ')})`, target: `≥ ${MIN_REDIS_RATIO}`, verdict: verdict(rpsRatio >= MIN_REDIS_RATIO) },
      { figure: 'Redis mode / in memory, server CPU time per request (in-memory µs / Redis-mode µs)', value: fixed(cpuRatio, 2), target: `≥ ${MIN_REDIS_RATIO}`, verdict: verdict(cpuRatio >= MIN_REDIS_RATIO) }
    )
  }
  return {
    title: onRedis
      ? '1b. Passive path with Redis (REDIS_URL: shared dedup and outbox), same traffic'
      : '1. Passive path: unique signed text pushes, instant handler',
    rows,
    notes: [
      runNote(settings),
      ...(other === undefined
        ? []
        : onRedis
          ? ['Its runs were taken in turn with scenario 1\'s (bare, in memory, on Redis; then bare, on Redis, in memory …), against the same bare Fastify.']
          : ['Taken in turn with scenario 1b\'s runs on Redis (REDIS_URL set); the Redis-mode server stayed up, idle, beside it.'])
    ]
  }
}

/**
 * Scenario 1: unique signed text pushes, a handler that answers at once with a text reply. With `redisUrl`, also
 * scenario 1b: the same in scale-out mode, its runs taken in turn with scenario 1's so that goal 5's ratio compares
 * runs seconds apart, not minutes (the machine drifts by a fifth between minutes: bench/README.md).
 */
export async function passiveScenario (settings: BenchSettings & ServerPlacement, redisUrl?: string): Promise<ScenarioReport[]> {
  const { bare, reals } = await sideBySide('passive', settings, 0, redisUrl === undefined ? [undefined] : [undefined, redisUrl])
  const [inMemory, onRedis] = [at(reals, 0), reals[1]]
  return onRedis === undefined
    ? [passiveReport(inMemory, bare, settings)]
    : [passiveReport(inMemory, bare, settings, onRedis), passiveReport(onRedis, bare, settings, inMemory)]
}

/**
 * Scenario 2: 30 % of requests re-send an earlier push (half of them likely still in flight); one run per message.
 * With `redisUrl`, scenario 2b: the same with dedup on Redis (a retry of a push still running waits for the owner's
 * announcement or its poll).
 */
export async function retryScenario (settings: BenchSettings & ServerPlacement, redisUrl?: string): Promise<ScenarioReport> {
  const { bare, reals, realStats: stats } = await sideBySide('retry', settings, 0.3, [redisUrl])
  const real = at(reals, 0)
  const realStats = at(stats, 0)
  const log = real.traffic.log
  const counts = realStats.counts
  const ran = new Set(counts?.ran ?? [])
  const answeredNotRun = [...log.answered].filter((id) => !ran.has(id)).length
  const runNotAnswered = [...ran].filter((id) => !log.answered.has(id)).length
  const repeated = counts?.repeated.length ?? Number.NaN
  const retryShare = log.retries / (log.retries + log.distinct)
  // Requests still in flight when a load run stops (the warm-up's included) ran without an answer coming back.
  const inFlightBound = settings.connections * (settings.rounds + 1)
  return {
    title: redisUrl === undefined
      ? '2. Retry storm: 30 % of pushes are retries of earlier ones'
      : '2b. Retry storm with Redis (REDIS_URL: dedup shared on Redis), same traffic',
    rows: [
      ...throughputRows(real, bare, redisUrl !== undefined),
      { figure: 'fanbot: distinct messages sent / retries sent (share)', value: `${int(log.distinct)} / ${int(log.retries)} (${fixed(retryShare * 100, 1)} %)`, target: '30 % retries', verdict: '' },
      { figure: 'fanbot: handler runs / distinct messages that ran', value: `${int(counts?.runs ?? Number.NaN)} / ${int(ran.size)}`, target: 'equal', verdict: verdict(counts?.runs === ran.size) },
      { figure: 'messages whose handler ran more than once', value: int(repeated), target: '0', verdict: verdict(repeated === 0) },
      { figure: 'answered messages whose handler never ran', value: int(answeredNotRun), target: '0', verdict: verdict(answeredNotRun === 0) },
      { figure: 'handler ran but no answer came back (in flight when the load stopped)', value: int(runNotAnswered), target: `≤ ${inFlightBound}`, verdict: verdict(runNotAnswered <= inFlightBound) },
      { figure: 'retries that joined a running first copy / replayed an answer (server metrics)', value: `${int(realStats.duplicates?.joined ?? 0)} / ${int(realStats.duplicates?.replayed ?? 0)}`, target: 'some joined', verdict: verdict((realStats.duplicates?.joined ?? 0) > 0) },
      { figure: 'answers that were not the message\'s own passive reply', value: int(log.wrongAnswers), target: '0', verdict: verdict(log.wrongAnswers === 0) }
    ],
    notes: [
      runNote(settings),
      'The handler yields one event-loop turn (`setImmediate`) before it answers, so that a retry read in the same I/O ' +
      'batch finds its first copy still running; a fully synchronous handler is settled before the next socket is read.',
      'A retry repeats the body of one of the last 16 first copies (likely in flight) or of the last 5,000 (likely ' +
      'answered), with a fresh signature, as Weibo does.'
    ]
  }
}

import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { coldStartScenario } from './cold-start.ts'
import { latePathScenario } from './late-path.ts'
import { memoryScenario } from './memory-scenario.ts'
import { stealMeter } from './cpu-meters.ts'
import { machineInfo, renderRepeatSummary, renderScenario, uptime, type BenchSettings, type ScenarioReport } from './report.ts'
import { passiveScenario, retryScenario } from './throughput.ts'
import { workloadScenario } from './workload.ts'

const HELP = `npm run bench -- [options]

  --quick            about 2 s per run, 100,000 pushes for memory (a smoke test, not for the results)
  --only=1,3         run only these scenarios (1 passive, 2 retry storm, 3 late path, 4 memory, 5 cold start,
                     6 the issue-13 workload); with REDIS_URL set, 1 and 2 also run on Redis (1b, 2b; 1b's runs
                     are taken in turn with 1's and compared with them: issue 13, goal 5)
  --duration=SEC     seconds per measured run (default 10, quick 2)
  --profile          run the servers under --cpu-prof; profiles go to /tmp/fanbot-bench-profiles/<server>-<scenario>/
                     (<server>: bare, real, or real-redis for 1b and 2b)
  --out=FILE         also write the results as Markdown to FILE
  --pin              pin the servers to cpu0 and this process (the load generator) to cpu1 (taskset; scenarios 1, 2, 6)
  --node=PATH        the Node that runs the servers in scenarios 1, 2, 5 and 6 (default: this one; the sources run
                     without tsx where it strips types)
  --count=N          distinct pushes for scenario 4 (default 300,000, quick 100,000)
  --image            scenarios 1, 2, 5 and 6 run the compiled image (\`node src/main.js\` in image/, built as the
                     Dockerfile builds it; scenarios 1 and 2 build the app from its compiled modules) instead of the sources
  --repeat=N         run the chosen scenarios N times in a row (default 1); the results end with a summary of every
                     target: the runs it held in, and each run's value
`

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    duration: { type: 'string' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    pin: { type: 'boolean', default: false },
    node: { type: 'string' },
    count: { type: 'string' },
    image: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false }
  }
})
if (values.help) {
  console.log(HELP)
  process.exit(0)
}

const quick = values.quick
const durationS = values.duration === undefined ? (quick ? 2 : 10) : Number(values.duration)
if (!(durationS > 0)) throw new Error(`--duration must be a positive number of seconds, got ${values.duration}`)
const repeat = Number(values.repeat)
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a whole number of runs, 1 or more, got ${values.repeat}`)
const only = new Set((values.only ?? '1,2,3,4,5,6').split(',').map((item) => Number(item.trim())))
const PROFILE_DIR = '/tmp/fanbot-bench-profiles'

const settings: BenchSettings = {
  durationS,
  warmupS: quick ? 1 : 3,
  // Two alternating runs per server in a full run, so a noisy moment does not fall on one side only.
  rounds: quick ? 1 : 2,
  connections: 50,
  ...(values.profile ? { profileDir: PROFILE_DIR } : {})
}

const header = [
  `# weibo-fanbot benchmark (${quick ? 'QUICK smoke run, not for the record' : 'full run'})`,
  '',
  `Date: ${new Date().toISOString()}`,
  '',
  ...machineInfo()
]
console.error(header.join('\n'))

/** Runs one scenario when chosen, adds its report to `reports` and shows it as soon as it is done. */
async function scenario (reports: ScenarioReport[], number: number, name: string, run: () => Promise<ScenarioReport | ScenarioReport[]>): Promise<void> {
  if (!only.has(number)) return
  console.error(`\n… scenario ${number}: ${name}`)
  for (const report of [await run()].flat()) {
    reports.push(report)
    console.error(renderScenario(report))
  }
}

const node = values.node ?? process.execPath
/** Where scenarios 1 and 2 run their servers (scenarios 5 and 6 take the same flags). */
const placed = { ...settings, node, pin: values.pin, image: values.image }
const memoryCount = values.count === undefined ? (quick ? 100_000 : 300_000) : Number(values.count)
/** Every chosen scenario once, in order; their reports. */
async function runAll (): Promise<ScenarioReport[]> {
  const reports: ScenarioReport[] = []
  const redisUrl = process.env.REDIS_URL === undefined || process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
  // With REDIS_URL, scale-out mode beside it (1b): the same traffic with dedup shared on Redis, its runs taken in
  // turn with scenario 1's and compared with them (goal 5).
  await scenario(reports, 1, redisUrl === undefined ? 'passive path' : 'passive path, in memory and on Redis in turn', async () => await passiveScenario(placed, redisUrl))
  await scenario(reports, 2, 'retry storm', async () => await retryScenario(placed))
  if (redisUrl !== undefined) await scenario(reports, 2, 'retry storm with Redis', async () => await retryScenario(placed, redisUrl))
  if (!quick) {
    // The issue's own numbers: a 4 s deadline (the default) and 6 s handlers; few slow samples per second.
    await scenario(reports, 3, 'late path at full scale', async () => await latePathScenario(settings, { deadlineMs: 4000, slowMs: 6000, durationS: 2 * durationS }))
  }
  // Scaled down ten times: the same deadline logic, ten times the slow samples in the same time.
  await scenario(reports, 3, 'late path scaled down', async () => await latePathScenario(settings, { deadlineMs: 400, slowMs: 600, durationS }))
  await scenario(reports, 4, 'memory', async () => await memoryScenario(memoryCount))
  await scenario(reports, 5, 'cold start', async () => await coldStartScenario(quick ? 2 : 5, node, values.image))
  await scenario(reports, 6, 'the issue-13 workload', async () => await workloadScenario({ ...settings, rounds: quick ? 1 : 3, pin: values.pin, node, image: values.image }))
  return reports
}

const runs: ScenarioReport[][] = []
/** Each run's steal (the host's other guests), for its heading: the machine's state in that run. */
const runSteal: string[] = []
const wholeSteal = stealMeter()
for (let run = 1; run <= repeat; run++) {
  if (repeat > 1) console.error(`\n… run ${run} of ${repeat} (${uptime()})`)
  const steal = stealMeter()
  runs.push(await runAll())
  runSteal.push(steal())
}

const tables = runs.flatMap((runReports, index) => [
  ...(repeat > 1 ? [`## Run ${index + 1} of ${repeat} (${runSteal[index] ?? ''})`, ''] : []),
  ...runReports.map(renderScenario).flatMap((table) => [table, ''])
])
if (repeat > 1) tables.push(renderRepeatSummary(runs), '')
const markdown = [...header, `- load after the run: \`${uptime()}\``, `- CPU ${wholeSteal()} over the whole run (the host's other guests)`, '', ...tables].join('\n')
console.log(`\n${markdown}`)
if (values.out !== undefined) writeFileSync(values.out, markdown)
if (values.profile) console.error(`\nCPU profiles of the servers: ${PROFILE_DIR} (summarise with: npx tsx bench/cpu-profile-top.ts <file>)`)

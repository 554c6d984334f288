// `npm run test:unit`: every test file, through tsx's test runner, in as few processes as keeps them apart.
//
// Why not one process per file (tsx --test test/**/*.test.ts): each process pays tsx's loader and loads fastify,
// pino, zod and our src/ again, about 0.5-1 s of CPU, which for ~130 files was most of the suite's CPU time. So the
// files share a few processes ("groups"), where they run one after another, and a file keeps a process of its own
// when it starts the server or other long-lived processes, or listens on process events (it must not be slowed or
// disturbed by others' tests, nor disturb them); files alike in that (TOGETHER) run one after another in one such
// process. A file that only runs short commands (the CLI through `runCli`, `redis-server --version`) or its own
// redis-server shares: its own process would cost more than its tests (~1 s). The longest start first (LONGEST_FIRST).
//
// `npm test` is `node scripts/test.js --checks`: the type check and dist/'s build first (scripts/checks.js), then the
// tests; the lint starts at once at the lowest CPU priority (nice 19), beside the checks and then the tests. The tests
// need dist/ but not the lint, which on a fresh clone is ~20 s of one core. Run before the tests, it left the other
// core idle for ~10 s; run beside them at the same priority, it took CPU from the tests, which keep both cores ~85 %
// busy, and the run was no shorter (2026-12-02). At nice 19 it takes the ~15 % they leave: a fresh clone's run is
// ~7 s shorter (README's figures). As `npm run check && npm run test:unit` did, a type error stops the run before the
// tests (once the lint has finished: its findings are wanted too); the lint's findings are printed after the tests'
// summary, and fail the run. SIGINT or SIGTERM to this process ends whatever it started, at any stage.
//
// Extra arguments go to the runner: `npm run test:unit -- --test-reporter=tap`. One file: `npx tsx --test test/x.test.ts`.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { constants } from 'node:os'
import { lint, typecheckAndBuild } from './checks.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const testDir = path.join(root, 'test')

/**
 * The longest files, longest first: they set the suite's critical path, so they start first and their waits (a
 * Redis paused for 30 s, npm pack and install, process starts) overlap everything else. Wall / CPU seconds, one file
 * alone on a 2-core machine under load (2026-12-01): every other file takes under 30 s.
 */
/** Where in LONGEST_FIRST the shared groups start. */
const GROUPS_HERE = '(the groups)'
/**
 * Files that would each get a process of their own (OWN_PROCESS), run one after another in one process instead: a
 * process costs ~1 s of CPU before its first test (tsx's loader and the server's modules, BullMQ's and ioredis's for
 * the outbox), and these files mostly wait. Named in LONGEST_FIRST by their key.
 */
const TOGETHER = {
  // They start the server or the CLI as processes and wait on them (5-15 s each, ~1-2 s of CPU); they listen on nothing
  // of the process, so the files before them in this process cannot disturb them.
  '(server starts)': ['test/cli/serve.test.ts', 'test/main-accounts.test.ts', 'test/outbox/replica-killed.test.ts', 'test/logger.test.ts', 'test/cli/dev.test.ts', 'test/idle-modules.test.ts',
    'test/dedup/deadline-from-arrival.test.ts'],
  // They count the process's unhandled rejections (a crash in production), so they share no process with files that
  // do not: each closes every connection it opened and waits out its own timers, so what one of them counts is its
  // own. Redis, BullMQ and ioredis are loaded once for the four.
  '(unhandled rejections)': ['test/outbox/bullmq-close-guard.test.ts', 'test/outbox/outbox-connection-refused.test.ts', 'test/outbox/queue-close.test.ts', 'test/dedup/redis-dedup-resubscribe.test.ts']
}
const LONGEST_FIRST = [
  'test/outbox/redis-stall.test.ts', // ~45 / 19: its own redis-server paused for 10 s and for 30 s, side by side,
  // four replicas: it mostly waits, so it starts first and overlaps the most
  'test/e2e/package.test.ts', // 31 / 29 before 2026-12-01 23:00 (less now): npm pack (its build skipped when dist/
  // is current), npm install into a new bot, then its tests, its tsc and a chat side by side, its server
  // The groups (below): 35-55 s each, much of it waiting (timers, Redis, servers), so they come next. After the
  // files below, the last group started at ~70 s of a 125 s run and ran alone for its last ~13 s, the machine at a
  // fifth of its two cores (a sampler of /proc, 2026-12-02); started here, the run keeps both cores busy to its end.
  GROUPS_HERE,
  // Then the rest by their wall time in a full run (2026-12-02, 2-core machine, the suite's load), longest first:
  // each mostly waits on processes it started, so a long one started late is the run's tail, the machine idle
  // around it (shutdown-redis-down, started last, was the last ~10 s alone).
  '(server starts)', // 35 s: CLI serve and dev, several accounts, a replica killed, the logger's process (timed
  // before idle-modules joined it: two server starts more, a few seconds)
  'test/main.test.ts', // 29 s: nine server starts, one after another (compiled where the handlers are JavaScript)
  'test/shutdown-signals.test.ts', // 27 s: npm start's process group, signalled
  'test/outbox/part-progress.test.ts', // 22 s
  'test/outbox/shutdown-redis-down.test.ts', // 21 s: SIGTERM with Redis killed waits out SHUTDOWN_TIMEOUT_MS
  '(unhandled rejections)', // 18 s
  'test/docker/env-file.test.ts' // 16 s
]
/** What makes a file run in its own process: it starts servers or other processes itself, or listens on the process. */
const OWN_PROCESS = /\b(spawn|execFile|startServerProcess|replicaWorld|collectUnhandledRejections)\b|process\.on\(/
const GROUPS = 4
const CONCURRENCY = 4
/**
 * A safety net, not a pace: a file (or group) still running after 10 minutes has hung, and fails with its name
 * instead of holding the run forever. The slowest file takes about 1 minute on a quiet machine, 2-3 on a busy one.
 */
const HANG_MS = 600_000

const files = readdirSync(testDir, { withFileTypes: true }).flatMap((entry) => {
  if (entry.isFile() && entry.name.endsWith('.test.ts')) return [`test/${entry.name}`]
  if (!entry.isDirectory() || entry.name.startsWith('.')) return []
  return readdirSync(path.join(testDir, entry.name)).filter((name) => name.endsWith('.test.ts')).map((name) => `test/${entry.name}/${name}`)
}).sort()

const together = Object.values(TOGETHER).flat()
const missing = [...LONGEST_FIRST.filter((item) => item !== GROUPS_HERE && !(item in TOGETHER)), ...together].filter((file) => !files.includes(file))
if (missing.length > 0) throw new Error(`scripts/test.js: LONGEST_FIRST or TOGETHER names files that do not exist: ${missing.join(', ')}`)
const own = files.filter((file) => LONGEST_FIRST.includes(file) || together.includes(file) || OWN_PROCESS.test(readFileSync(path.join(root, file), 'utf8')))
const shared = files.filter((file) => !own.includes(file))

const checks = process.argv.includes('--checks')
const runnerArgs = process.argv.slice(2).filter((arg) => arg !== '--checks')
/** Set by SIGINT or SIGTERM: what this process started is ended, and its exit code is 128 + the signal's number. */
let interrupted
const stop = new AbortController()
/**
 * The test runner's process, once started. A holder: a `let` assigned once, after the signal handlers that read it,
 * fails prefer-const.
 */
const started = { tests: undefined }
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = signal
    stop.abort()
    started.tests?.kill(signal)
  })
}
const exitCodeOfSignal = () => 128 + (constants.signals[interrupted] ?? 0)

const lintOutput = []
const linting = checks ? lint({ output: lintOutput, background: true, signal: stop.signal }) : undefined
/** Prints the lint's findings (after everything else the run printed, and flushed); resolves to its exit code. */
const lintResult = async () => {
  const code = await (linting?.code ?? 0)
  if (interrupted !== undefined) return code
  if (lintOutput.length > 0) await new Promise((resolve) => { process.stdout.write(Buffer.concat(lintOutput), resolve) })
  if (code !== 0) process.stderr.write('scripts/test.js: the lint failed (above)\n')
  return code
}
/** Ends this process without running the tests, once the lint's findings are out. */
const endBeforeTests = async (message) => {
  await lintResult()
  if (interrupted !== undefined) process.exit(exitCodeOfSignal())
  await new Promise((resolve) => { process.stderr.write(message, resolve) })
  process.exit(1)
}
if (checks && !(await typecheckAndBuild({ signal: stop.signal }))) {
  await endBeforeTests('scripts/test.js: the type check or the build failed (above); no test was run\n')
}

// The group files live inside test/ (a module under the package's "type": "module", resolved like the tests) and
// are removed when the run ends (eslint.config.js ignores them: the lint beside may outlast them). Round-robin over the
// sorted list spreads each folder's files over the groups.
const groupDir = path.join(testDir, `.groups-${process.pid}`)
const removeGroups = () => { rmSync(groupDir, { recursive: true, force: true }) }
mkdirSync(groupDir, { recursive: true })
/** A file in groupDir importing `members`; its name sorts by `rank` (see `ordered`). */
const writeEntry = (rank, label, members) => {
  const file = path.join(groupDir, `${String(rank).padStart(2, '0')}-${label}.test.ts`)
  writeFileSync(file, members.map((member) => `import '../${member.slice('test/'.length)}'\n`).join(''))
  return path.relative(root, file)
}
// Node's runner sorts the files it is given by path before it starts them, whatever order they come in: given
// directly, the longest files (test/e2e/…, test/outbox/…) would start near the end and leave a tail of one waiting
// file (an idle machine for the last 15 s of the run). So each longest file is started through an entry of its own
// whose name sorts first, in LONGEST_FIRST's order (the groups at GROUPS_HERE); it still runs alone in its process.
// Then the other own-process files (test/.groups-… sorts before every test folder).
const fileEntry = (file, rank) => writeEntry(rank, file.slice('test/'.length).replace(/\.test\.ts$/, '').replaceAll('/', '--'), [file])
const groupMembers = Array.from({ length: GROUPS }, (_, index) => shared.filter((_, position) => position % GROUPS === index)).filter((members) => members.length > 0)
const entries = []
for (const item of LONGEST_FIRST) {
  if (item === GROUPS_HERE) for (const [index, members] of groupMembers.entries()) entries.push(writeEntry(entries.length, `group-${index + 1}`, members))
  else if (item in TOGETHER) entries.push(writeEntry(entries.length, item.replace(/\W+/g, '-').replace(/^-|-$/g, ''), TOGETHER[item]))
  else entries.push(fileEntry(item, entries.length))
}

// dist/ first: the tests run the compiled server and CLI on plain node when dist/ is built from the sources as they
// are (test/helpers/server-process.ts, `compiled`), else the sources through tsx. Nothing to do when it is current
// (~30 ms); a build after a change is incremental (~1-2 s of CPU), a fresh clone's ~5 s. A failed build is
// reported by tsc here and by the packed-package test; the other tests then run the sources.
const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) process.stderr.write('scripts/test.js: the build failed; the tests run the sources through tsx\n')

if (interrupted !== undefined) {
  removeGroups()
  await endBeforeTests('')
}

const ordered = [...entries, ...own.filter((file) => !LONGEST_FIRST.includes(file) && !together.includes(file))]
const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')
const child = spawn(process.execPath, [tsx, '--test', `--test-concurrency=${CONCURRENCY}`, `--test-timeout=${HANG_MS}`, ...runnerArgs, ...ordered], { cwd: root, stdio: 'inherit' })
started.tests = child
child.on('close', async (code, signal) => {
  removeGroups()
  const lintCode = await lintResult()
  process.exitCode = interrupted === undefined ? code ?? (signal === null ? 1 : 128) : exitCodeOfSignal()
  if (process.exitCode === 0 && lintCode !== 0) process.exitCode = 1
})

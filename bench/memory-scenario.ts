import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { BENCH_DIR, REPO_ROOT } from './load.ts'
import type { AnswerKind, MemoryResult } from './memory.ts'
import { fixed, int, verdict, type ScenarioReport } from './report.ts'

const TARGET_HEAP_BYTES = 150
const TARGET_RSS_BYTES = 400
/** Short, so the bench can read memory once the window has passed; the default is 60 s. */
const REPLAY_TTL_MS = 2000
const MiB = 2 ** 20

/** Runs bench/memory.ts in a fresh `node --expose-gc` process and reads its one JSON line. */
async function measureMemory (count: number, answer: AnswerKind): Promise<MemoryResult> {
  const { stdout } = await promisify(execFile)(process.execPath,
    ['--expose-gc', '--import', 'tsx', `${BENCH_DIR}memory.ts`, JSON.stringify({ count, answer, replayTtlMs: REPLAY_TTL_MS })],
    { cwd: REPO_ROOT, maxBuffer: 1 << 20 })
  const line = stdout.trim().split('\n').pop() ?? ''
  return JSON.parse(line) as MemoryResult
}

const ANSWERS: Array<{ answer: AnswerKind, label: string }> = [
  { answer: 'ascii', label: 'short ASCII text reply (`ok id-…`, as scenario 1)' },
  { answer: 'blank', label: 'blank answer (handler returns nothing)' },
  { answer: 'chinese', label: '20-character Chinese text reply' }
]

/** Scenario 4: bytes per dedup entry after `count` distinct pushes with DEDUP_MAX = count, for three answer sizes. */
export async function memoryScenario (count: number): Promise<ScenarioReport> {
  const rows: ScenarioReport['rows'] = []
  const notes: string[] = []
  for (const { answer, label } of ANSWERS) {
    const result = await measureMemory(count, answer)
    const per = (bytes: number): number => bytes / result.entries
    const { total, construction } = result
    const settled = result.afterReplay ?? total
    const heapPer = per(settled.heapUsed)
    const rssPer = per(settled.rss)
    rows.push(
      { figure: `${label}: entries held; stored answer (bytes)`, value: `${int(result.entries)}; ${int(result.answerBytes)}`, target: `${int(count)}`, verdict: verdict(result.entries === count) },
      { figure: `${label}: heap used per push after a full GC, replay window passed (external)`, value: `${fixed(heapPer)} (+ ${fixed(per(settled.external))})`, target: `≤ ${TARGET_HEAP_BYTES}`, verdict: verdict(heapPer <= TARGET_HEAP_BYTES) },
      { figure: `${label}: RSS growth per push, replay window passed`, value: `${fixed(rssPer)} (${fixed(settled.rss / MiB, 1)} MiB)`, target: `≤ ${TARGET_RSS_BYTES}`, verdict: verdict(rssPer <= TARGET_RSS_BYTES) },
      { figure: `${label}: heap used per push / RSS per push while ${int(result.answersHeld ?? 0)} answer bodies were still held`, value: `${fixed(per(total.heapUsed))} / ${fixed(per(total.rss))}`, target: '', verdict: '' }
    )
    notes.push(`${label}: ${int(count)} dispatches in ${fixed(result.seconds, 1)} s; building the app alone took ` +
      `${fixed(construction.rss / MiB, 1)} MiB RSS (${fixed(construction.heapUsed / MiB, 1)} MiB heap, ` +
      `${fixed(construction.external / MiB, 1)} MiB external), included in the totals above.`)
  }
  notes.push(
    'Driven in-process: each push is serialised as Weibo sends it, read and validated by the real push reader, and ' +
    'passed to `app.fanbot.dispatcher.dispatch` (HTTP keeps nothing per push). Memory is read after two forced GCs, ' +
    `before the app is built, after the last answer, and again once DEDUP_REPLAY_TTL_MS (${REPLAY_TTL_MS} ms here) ` +
    'has passed; DEDUP_MAX equals the push count; REPLY_QUOTA_ENFORCE on (one fan per push, up to REPLY_QUOTA_MAX_FANS), other settings default.'
  )
  return { title: `4. Memory: ${int(count)} distinct pushes, DEDUP_MAX=${count}, DEDUP_REPLAY_TTL_MS=${REPLAY_TTL_MS}`, rows, notes }
}

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'

export type Verdict = 'PASS' | 'MISS' | ''

/** One line of a scenario's table: a figure, its target and whether it was met ('' for context-only figures). */
export interface Row {
  figure: string
  value: string
  target: string
  verdict: Verdict
}

export interface ScenarioReport {
  title: string
  rows: Row[]
  notes: string[]
}

export interface BenchSettings {
  durationS: number
  warmupS: number
  rounds: number
  connections: number
  /** With --profile: both servers run under `--cpu-prof`, writing to `<profileDir>/<kind>-<scenario>/`. */
  profileDir?: string
}

export const verdict = (ok: boolean): Verdict => ok ? 'PASS' : 'MISS'
export const fixed = (value: number, digits = 0): string => Number.isFinite(value) ? value.toFixed(digits) : 'n/a'
export const int = (value: number): string => Math.round(value).toLocaleString('en-US')

/** The machine, for the results header: core count, CPU model, memory, Node version, and load before the run. */
export function machineInfo (): string[] {
  let model = cpus()[0]?.model ?? 'unknown'
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model
  } catch {
    // Not Linux: os.cpus() is enough.
  }
  return [
    `- cores (nproc): ${cpus().length}`,
    `- CPU: ${model}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node: ${process.version} (${process.platform} ${process.arch})`,
    `- load before the run: \`${uptime()}\``
  ]
}

/** `uptime`'s line: other work on a 2-core machine shows in the load average and skews a run. */
export function uptime (): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim()
  } catch {
    return 'uptime not available'
  }
}

export function renderScenario (report: ScenarioReport): string {
  const lines = [
    `### ${report.title}`,
    '',
    '| Figure | Value | Target | Result |',
    '|---|---|---|---|',
    ...report.rows.map((row) => `| ${row.figure} | ${row.value} | ${row.target} | ${row.verdict} |`)
  ]
  if (report.notes.length > 0) lines.push('', ...report.notes.map((note) => `- ${note}`))
  return lines.join('\n')
}

/**
 * For `--repeat`: every target of the repeated runs, with the runs it held in and each run's value. On a shared,
 * noisy machine one run's verdict flips with the minute; a target is read as held when it held in most runs
 * (bench/README.md, how a goal is judged).
 */
export function renderRepeatSummary (runs: ScenarioReport[][]): string {
  const byFigure = new Map<string, { scenario: string, figure: string, target: string, values: string[], passes: number }>()
  for (const reports of runs) {
    for (const report of reports) {
      for (const row of report.rows) {
        if (row.verdict === '') continue
        const key = `${report.title}\u0000${row.figure}`
        const entry = byFigure.get(key) ?? { scenario: report.title, figure: row.figure, target: row.target, values: [], passes: 0 }
        entry.values.push(row.verdict === 'PASS' ? row.value : `**${row.value}**`)
        if (row.verdict === 'PASS') entry.passes++
        byFigure.set(key, entry)
      }
    }
  }
  const lines = [
    `## Summary of ${runs.length} runs (a miss in bold)`,
    '',
    '| Scenario | Figure | Target | Held in | Values by run |',
    '|---|---|---|---|---|',
    ...[...byFigure.values()].map((entry) => {
      const held = entry.passes * 2 > entry.values.length ? 'most runs' : 'not most runs'
      return `| ${entry.scenario} | ${entry.figure} | ${entry.target} | ${entry.passes} of ${entry.values.length} (${held}) | ${entry.values.join(' / ')} |`
    })
  ]
  return lines.join('\n')
}

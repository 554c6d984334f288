import { spawnSync } from 'node:child_process'

/**
 * Runs each variant's script in a child process of this Node (`--import tsx`, stdout on /dev/null), the variants
 * alternating round by round so that a noisy minute hits all of them; each script writes its figure last on stderr.
 * Returns the figures by variant name, one per round.
 */
export function runVariantsInChildren (scripts: Record<string, string>, rounds: number): Record<string, number[]> {
  const figures: Record<string, number[]> = {}
  for (let round = 0; round < rounds; round++) {
    for (const [name, script] of Object.entries(scripts)) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
      const value = Number(run.stderr.trim().split('\n').at(-1))
      if (run.status !== 0 || !Number.isFinite(value)) throw new Error(`${name}: exit ${String(run.status)}\n${run.stderr}`)
      ;(figures[name] ??= []).push(value)
    }
  }
  return figures
}

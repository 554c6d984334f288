import { readFileSync } from 'node:fs'

/** One `cpu` line of /proc/stat: busy (all but idle and iowait), stolen by the host's other guests, and the whole. */
interface Ticks { busy: number, steal: number, total: number }

/**
 * /proc/stat's `cpu` lines in clock ticks: `all` (the first line, the whole machine) and `cpus` (`cpuN`, by N);
 * undefined where there is no /proc (not Linux).
 */
function cpuTicks (): { all: Ticks, cpus: Ticks[] } | undefined {
  try {
    let all: Ticks | undefined
    const cpus: Ticks[] = []
    for (const match of readFileSync('/proc/stat', 'utf8').matchAll(/^cpu(\d*)\s+(.+)$/gm)) {
      // user nice system idle iowait irq softirq steal (guest time is counted in user already)
      const fields = (match[2] ?? '').split(/\s+/).slice(0, 8).map(Number)
      const total = fields.reduce((sum, ticks) => sum + ticks, 0)
      const ticks = { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), steal: fields[7] ?? 0, total }
      if (match[1] === '') all = ticks
      else cpus[Number(match[1])] = ticks
    }
    return all === undefined ? undefined : { all, cpus }
  } catch {
    return undefined
  }
}

/**
 * Starts a steal meter: the share of the machine's CPU time the hypervisor gave to other guests since then, as text.
 * On this shared machine a slow state shows as steal (fifteenth session: 11–22 % under load, ~1 % idle; bench/README.md),
 * and the record should say which state a run met.
 */
export function stealMeter (): () => string {
  const start = cpuTicks()?.all
  return () => {
    const now = cpuTicks()?.all
    if (start === undefined || now === undefined || now.total === start.total) return 'steal n/a'
    return `steal ${((now.steal - start.steal) * 100 / (now.total - start.total)).toFixed(1)} % of CPU time`
  }
}

/**
 * Starts a meter of each CPU's busy share (0–1) since then, by whatever ran there. With the servers pinned to cpu0
 * and the load generator to cpu1, it shows which core bounds a run, and where an unpinned Redis took its time
 * (sixteenth session: on the server's core).
 */
export function coreMeter (): () => number[] {
  const start = cpuTicks()?.cpus
  return () => {
    const now = cpuTicks()?.cpus
    if (start === undefined || now === undefined) return []
    return now.map((cpu, index) => {
      const before = start[index]
      return before === undefined || cpu.total === before.total ? Number.NaN : (cpu.busy - before.busy) / (cpu.total - before.total)
    })
  }
}

/**
 * Samples, every `everyMs`, the CPU a process last ran on (/proc/<pid>/stat, field 39): the kernel places an unpinned
 * process, and on two cores it matters which. Returns a stop function giving the count of samples per CPU.
 */
export function processorSampler (pid: number, everyMs = 50): () => number[] {
  const counts: number[] = []
  const sample = (): void => {
    try {
      // The command name (field 2) is in parentheses and may hold spaces and parentheses: count from the last ')'.
      const line = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = line.slice(line.lastIndexOf(')') + 2).split(' ')
      const cpu = Number(fields[36]) // field 39 of the whole line (fields[0] is field 3, the state)
      if (Number.isInteger(cpu)) counts[cpu] = (counts[cpu] ?? 0) + 1
    } catch {} // gone, or not Linux: no sample
  }
  // Unref'd: a run that throws before stopping it must not keep the bench's process alive.
  const timer = setInterval(sample, everyMs).unref()
  return () => {
    clearInterval(timer)
    return Array.from(counts, (count) => count ?? 0)
  }
}

import { runVariantsInChildren } from './child-variants.ts'

/**
 * What the start-up GC (src/release-startup-memory.ts) leaves behind: CPU per `process.nextTick` after it, beside a
 * process without it and one that runs the same last-resort GC with the tick queue empty (the fault the shipped
 * function avoids). `node --import tsx bench/startup-gc.ts [rounds]`, on the Node to check (Node 24: the image's).
 * Each variant in a child process: nextTick warmed as start-up warms it, the GC, warmed again, then 1,000,000 calls
 * in bursts of 500 with a turn of the event loop between (as between requests), alternating variants.
 */
const rounds = Number(process.argv[2] ?? 3)
const release = new URL('../src/release-startup-memory.ts', import.meta.url).href

const VARIANTS: Record<string, string> = {
  'no start-up GC': '',
  'releaseStartupMemory (shipped)': `const { releaseStartupMemory } = await import(${JSON.stringify(release)}); releaseStartupMemory()`,
  'last-resort GC, tick queue empty': "const { setFlagsFromString } = await import('node:v8'); const { runInNewContext } = await import('node:vm'); " +
    "setFlagsFromString('--expose-gc'); const gc = runInNewContext('gc'); setFlagsFromString('--no-expose-gc'); " +
    "gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })"
}

function script (startupGc: string): string {
  return `
    const noop = () => {}
    const burst = async (n) => { for (let i = 0; i < n; i++) process.nextTick(noop); await new Promise(setImmediate) }
    for (let r = 0; r < 200; r++) await burst(500)
    ${startupGc}
    for (let r = 0; r < 200; r++) await burst(500)
    const started = process.cpuUsage()
    for (let r = 0; r < 2000; r++) await burst(500)
    const cpu = process.cpuUsage(started)
    process.stderr.write(String((cpu.user + cpu.system) * 1000 / 1e6))`
}

const figures = runVariantsInChildren(Object.fromEntries(Object.entries(VARIANTS).map(([name, variant]) => [name, script(variant)])), rounds)
process.stdout.write(`Node ${process.version}\n`)
for (const [name, values] of Object.entries(figures)) {
  process.stdout.write(`${name}: ns per nextTick (the loop included), by round: ${values.map((value) => value.toFixed(0)).join(', ')}\n`)
}

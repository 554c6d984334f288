import { runVariantsInChildren } from './child-variants.ts'

/**
 * CPU per info line of the production logger (`createLogger` with LOG_FLUSH_MS: stdout in batches), beside pino
 * writing to sonic-boom in its text mode (what the logger used before) and pino alone (a destination that drops the
 * line): `npx tsx bench/log-line-cpu.ts [lines] [rounds]`. Each variant runs in a child process with stdout on
 * /dev/null, the variants alternating, a push's info line each (the push processor's fields); the process's whole CPU
 * time, the libuv thread that writes included. For A/B checks of the log destination.
 */
const lines = Number(process.argv[2] ?? 200_000)
const rounds = Number(process.argv[3] ?? 3)
const logger = new URL('../src/logger.ts', import.meta.url).href

const DESTINATIONS: Record<string, string> = {
  shipped: `const { createLogger } = await import(${JSON.stringify(logger)}); const log = createLogger({ level: 'info', flushMs: 100 })`,
  'sonic-boom text mode': "const { pino } = await import('pino'); const log = pino({ level: 'info', base: { service: 'weibo-fanbot' } }, " +
    'pino.destination({ dest: 1, sync: false, minLength: 4096, maxLength: 16 * 1024 * 1024, periodicFlush: 100 }))',
  'pino alone (line dropped)': "const { pino } = await import('pino'); const log = pino({ level: 'info', base: { service: 'weibo-fanbot' } }, { write () {} })"
}

function script (destination: string): string {
  return `${destination}
    const push = log.child({}, { redact: { paths: [] } }) // as the push processor's line: fixed fields, not redacted
    await new Promise((resolve) => setTimeout(resolve, 200))
    const started = process.cpuUsage()
    for (let n = 0; n < ${lines}; n++) {
      push.info({ push: { type: 'text', subtype: undefined, sender: String(5000000000 + n), dedupKey: '1902538057|' + (5000000000 + n) + '|Tue Dec 01 08:00:07 +0800 2026|q1w2e3r4t5y6u7i8', handler: 'ok', outcome: 'passive', durationMs: 0 } }, 'push passive')
      if (n % 50 === 0) await new Promise(setImmediate) // a turn of the loop, as between requests
    }
    const cpu = process.cpuUsage(started)
    process.stderr.write(String((cpu.user + cpu.system) / ${lines}))`
}

const figures = runVariantsInChildren(Object.fromEntries(Object.entries(DESTINATIONS).map(([name, variant]) => [name, script(variant)])), rounds)
for (const [name, values] of Object.entries(figures)) {
  process.stdout.write(`${name}: µs per info line, by round: ${values.map((value) => value.toFixed(2)).join(', ')}; best ${Math.min(...values).toFixed(2)}\n`)
}

import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

export interface UnhandledRejections {
  /** Waits `ms` (a rejection left behind surfaces on a later turn of the event loop), then lists them as text. */
  after: (ms: number) => Promise<string[]>
}

/**
 * Collects this process's unhandled rejections until the test ends. A file that uses it runs in a process of its own
 * (scripts/test.js looks for this function's name), so it sees only its own.
 */
export function collectUnhandledRejections (t: TestContext): UnhandledRejections {
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  process.on('unhandledRejection', onRejection)
  t.after(() => { process.off('unhandledRejection', onRejection) })
  return {
    async after (ms) {
      await sleep(ms)
      return rejections.map(String)
    }
  }
}

import { compareIds } from './since-id-store.ts'

export interface CoalescedWriterOptions {
  /** Writes one id; may reject (the failure is reported and the id written again on the next save or flush). */
  write: (id: string) => Promise<void>
  /** Called once when writes start failing (not again until one succeeds). */
  onFailing: (error: unknown) => void
  /** Called when a write succeeds after a failure. */
  onRecovered: () => void
}

export interface CoalescedWriter {
  save: (id: string) => void
  flush: () => Promise<void>
}

/**
 * The save/flush half of a since-id store: at most one write in flight; saves made meanwhile only replace the
 * value waiting, so under load the store writes as often as it can finish a write, never once per record. An id
 * not greater than the newest one asked for is ignored.
 */
export function createCoalescedWriter (options: CoalescedWriterOptions): CoalescedWriter {
  let wanted: string | undefined
  let written: string | undefined
  let running: Promise<void> | undefined
  let failing = false

  async function drain (): Promise<void> {
    for (;;) {
      const id = wanted // re-read each turn: saves made during the write replace it
      if (id === undefined || id === written) return
      try {
        await options.write(id)
        written = id
        if (failing) {
          failing = false
          options.onRecovered()
        }
      } catch (error) {
        if (!failing) options.onFailing(error)
        failing = true
        return // retried by the next save or flush, not in a tight loop
      }
    }
  }

  function kick (): Promise<void> {
    running ??= drain().finally(() => { running = undefined })
    return running
  }

  return {
    save (id) {
      if (wanted !== undefined && compareIds(id, wanted) <= 0) return
      wanted = id
      kick().catch(() => {})
    },
    async flush () {
      // A write in flight may be of an older id: wait for it, then write the newest if it is still not written.
      if (running !== undefined) await running
      if (wanted !== written) await kick()
    }
  }
}

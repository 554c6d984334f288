import type { Logger } from '../logger.ts'
import { compareIds, SINCE_ID_PATTERN, type SinceIdStore } from './since-id-store.ts'

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

/**
 * A since-id store from its two halves: `load` (the stored text, undefined when there is none) and a coalesced
 * writer. Stored text that is not a data id is logged and read as no position (start like a first run).
 */
export function sinceIdStoreOf (options: { read: () => Promise<string | undefined>, writer: CoalescedWriter, where: Record<string, string>, logger: Logger }): SinceIdStore {
  const { writer } = options
  let closed = false
  return {
    async load () {
      const text = await options.read()
      if (text === undefined) return undefined
      const id = text.trim()
      if (SINCE_ID_PATTERN.test(id)) return id
      options.logger.warn({ pushStream: { ...options.where, content: text.slice(0, 100) } }, 'saved push stream position is not a data id; starting without since_id')
      return undefined
    },
    save (id) {
      if (!closed) writer.save(id)
    },
    flush: writer.flush,
    async close () {
      closed = true
      await writer.flush()
    }
  }
}

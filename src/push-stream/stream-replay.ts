import type { Logger } from '../logger.ts'
import type { StreamDeadLetterStore } from './stream-dead-letter-store.ts'
import type { StreamRecord } from './stream-record.ts'

export interface StreamReplayOptions {
  deadLetters: StreamDeadLetterStore
  /** The stream dispatcher's `dispatch`: the handler runs again with fresh attempts, and dead-letters it again if it fails. */
  dispatch: (record: StreamRecord) => Promise<void>
  logger: Logger
  /** How often the replay queue is looked at. Default 2,000. */
  intervalMs?: number
  /** Entries taken at most per look. Default 16. */
  batch?: number
  onReplayed?: () => void
}

export interface StreamReplay {
  /** Stops looking, and waits for the replays taken to finish. */
  close: () => Promise<void>
}

/**
 * Runs the records that `weibo-fanbot stream retry` put back: every `intervalMs`, takes a batch off the replay
 * queue (each entry goes to one replica only) and hands them to the dispatcher, bypassing the stream's dedup
 * (these ids were seen already: replaying them is the point). A replica killed mid-replay loses that replay; its
 * handler's failure would have left a log line and, on a live replica, a new dead-letter entry.
 */
export function startStreamReplay (options: StreamReplayOptions): StreamReplay {
  const { deadLetters, logger } = options
  let running: Promise<void> | undefined
  let closed = false

  async function look (): Promise<void> {
    let taken
    try {
      taken = await deadLetters.takeReplays(options.batch ?? 16)
    } catch (error) {
      logger.warn({ err: error }, 'cannot read the push stream replay queue; trying again later')
      return
    }
    if (taken.length === 0) return
    logger.info({ pushStream: { replays: taken.map((entry) => entry.id) } }, 'replaying push stream records from the dead-letter list')
    await Promise.all(taken.map(async (entry) => {
      options.onReplayed?.()
      await options.dispatch(entry.record)
    }))
  }

  const timer = setInterval(() => {
    if (running !== undefined || closed) return // the previous batch is still running
    running = look().finally(() => { running = undefined })
  }, options.intervalMs ?? 2000)
  timer.unref()

  return {
    async close () {
      closed = true
      clearInterval(timer)
      await running
    }
  }
}

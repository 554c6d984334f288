import { isFanbotError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { SplitLine } from './record-splitter.ts'
import type { SinceIdStore } from './since-id-store.ts'
import type { StreamDedup } from './stream-dedup-store.ts'
import { parseStreamRecord, recordIdOf, type StreamRecord } from './stream-record.ts'

export type RecordOutcome = 'handled' | 'duplicate' | 'invalid' | 'skipped' | 'failed'

export interface RecordProcessorOptions {
  /** The position loaded at start: the watermark until a record settles. */
  sinceId: string | undefined
  sinceIds: SinceIdStore
  dedup: StreamDedup
  onRecord: (record: StreamRecord) => Promise<void>
  maxInFlight: number
  logger: Logger
  onOutcome?: ((outcome: RecordOutcome) => void) | undefined
  /** Records Weibo replays from before our position or start (see stream-backlog.ts): skipped, position moved on. */
  isBacklog?: ((record: StreamRecord) => boolean) | undefined
}

export interface RecordProcessor {
  /** The id of the last record received: where a reconnect resumes. */
  readonly lastReceived: string | undefined
  /** Records received and not yet settled. */
  readonly inFlight: number
  /** Takes one line off the stream (the work on it goes on in the background); false when it is no valid record. */
  accept: (item: SplitLine) => boolean
  /** Resolves when fewer than `maxInFlight` records are unsettled, or when `signal` aborts. */
  waitForSlot: (signal: AbortSignal) => Promise<void>
  /** Resolves true once every record has settled, false if `timeoutMs` passed first. */
  drain: (timeoutMs: number) => Promise<boolean>
}

/** At most this much of a bad line goes to the log: enough to recognise it, never a whole (maybe huge) record. */
const EXCERPT_CHARS = 200

/**
 * Takes the stream's records one by one: parses, skips what the consumer must not see (invalid, not an `add`,
 * already seen), hands the rest to `onRecord` concurrently, and saves the position as a watermark: the id of
 * the newest record such that it and every record before it have settled. A crash then replays from the oldest
 * record still in progress (dedup absorbs the rest of the replay) and never skips one.
 */
export function createRecordProcessor (options: RecordProcessorOptions): RecordProcessor {
  const { logger } = options
  let lastReceived = options.sinceId
  let sequence = 0
  let backlogSkipped = 0
  // Unsettled records, oldest first (a Map keeps insertion order): each maps to the last id received before it,
  // which is the watermark while it is the oldest one unsettled.
  const unsettled = new Map<number, string | undefined>()
  // Woken on every settle: a reader waiting for a slot, a close waiting for the drain.
  const waiters = new Set<() => void>()

  function settle (seq: number, outcome: RecordOutcome): void {
    unsettled.delete(seq)
    const oldest = unsettled.values().next()
    const watermark = oldest.done === true ? lastReceived : oldest.value
    if (watermark !== undefined) options.sinceIds.save(watermark) // ignored unless it moved forward
    options.onOutcome?.(outcome)
    for (const waiter of waiters) waiter()
    waiters.clear()
  }

  /** Resolves at the next settle, or when `signal` aborts, or after `timeoutMs`. */
  async function nextSettle (signal: AbortSignal | undefined, timeoutMs?: number): Promise<void> {
    let done!: () => void
    let timer: NodeJS.Timeout | undefined
    await new Promise<void>((resolve) => {
      done = resolve
      waiters.add(resolve)
      signal?.addEventListener('abort', done, { once: true })
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs)
    })
    waiters.delete(done)
    signal?.removeEventListener('abort', done)
    clearTimeout(timer)
  }

  async function deliver (seq: number, record: StreamRecord): Promise<void> {
    let outcome: RecordOutcome
    try {
      if (!await options.dedup.claim(record.id)) {
        logger.debug({ pushStream: { id: record.id } }, 'push stream record already seen; skipped')
        outcome = 'duplicate'
      } else {
        try {
          await options.onRecord(record)
        } finally {
          options.dedup.settle?.(record.id)
        }
        outcome = 'handled'
      }
    } catch (error) {
      // Settled all the same (its id is marked handled, a replay would be a duplicate): the position must not stall.
      logger.error({ err: error, pushStream: { id: record.id, type: record.text.type } }, 'push stream consumer failed on a record; it will not be retried')
      outcome = 'failed'
    }
    settle(seq, outcome)
  }

  function invalid (seq: number, facts: { reason: string, line: string, unterminated?: boolean }): void {
    logger.warn({
      pushStream: {
        code: 'WEIBO_ERR_STREAM_RECORD_INVALID',
        reason: facts.reason,
        excerpt: facts.line.slice(0, EXCERPT_CHARS),
        ...(facts.unterminated === true ? { unterminated: true } : {})
      }
    }, 'push stream record is invalid; skipped')
    settle(seq, 'invalid')
  }

  function accept (item: SplitLine): boolean {
    const seq = ++sequence
    unsettled.set(seq, lastReceived)
    if (item.kind === 'oversize') {
      // Weibo: move since_id past a record that fails to parse; the dropped line's first bytes may name its id.
      lastReceived = recordIdOf(item.head) ?? lastReceived
      invalid(seq, { reason: `line of ${item.bytes} bytes is over maxLineBytes`, line: item.head })
      return false
    }
    let record: StreamRecord
    try {
      record = parseStreamRecord(item.line)
    } catch (error) {
      // Moved past too, except for the last line of a stream that ended without its CRLF: it may be cut short,
      // and the reconnect asks for it again.
      if (item.terminated) lastReceived = recordIdOf(item.line) ?? lastReceived
      invalid(seq, { reason: isFanbotError(error) ? error.message : String(error), line: item.line, unterminated: !item.terminated })
      return false
    }
    lastReceived = record.id
    if (record.text.event !== 'add') {
      // Only `add` is documented; the protocol tells consumers to skip the rest.
      logger.debug({ pushStream: { id: record.id, type: record.text.type, event: record.text.event } }, 'push stream record is not an add; skipped')
      settle(seq, 'skipped')
      return true
    }
    if (options.isBacklog?.(record) === true) {
      backlogSkipped++
      if (backlogSkipped === 1) {
        logger.warn({ pushStream: { code: 'WEIBO_ERR_STREAM_BACKLOG_SKIPPED', id: record.id, type: record.text.type } },
          'push stream replays records from before its position or start (Weibo sends its latest 100 when since_id is missing, too old or illegal); skipping them (WEIBO_PUSH_BACKLOG=handle hands them to handlers)')
      }
      settle(seq, 'skipped')
      return true
    }
    deliver(seq, record).catch(() => {}) // deliver catches everything itself
    return true
  }

  return {
    get lastReceived () { return lastReceived },
    get inFlight () { return unsettled.size },
    accept,
    async waitForSlot (signal) {
      while (unsettled.size >= options.maxInFlight && !signal.aborted) await nextSettle(signal)
    },
    async drain (timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (unsettled.size > 0) {
        const left = deadline - Date.now()
        if (left <= 0) return false
        await nextSettle(undefined, left)
      }
      return true
    }
  }
}

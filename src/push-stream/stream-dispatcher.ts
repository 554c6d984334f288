import { setMaxListeners } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FanbotError } from '../errors.ts'
import type { HandlerRouter } from '../handler-router.ts'
import { runHandler, type HandlerRun } from '../handler-runner.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import { backoffDelay } from '../backoff.ts'
import type { StreamDeadLetterStore } from './stream-dead-letter-store.ts'
import { isTransientHandlerFailure } from './stream-handler-failure.ts'
import type { StreamRecord } from './stream-record.ts'
import { toStreamMessage } from './stream-message.ts'
import type { WeiboApiClient } from '../weibo-api/client.ts'
import { createWorkTracker } from '../work-tracker.ts'

export interface StreamDispatcherOptions {
  router: HandlerRouter
  api: WeiboApiClient
  logger: Logger
  handlerTimeoutMs: number
  metrics?: Metrics
  onHandlerRun?: ((run: HandlerRun) => void) | undefined
  /** WEIBO_PUSH_HANDLER_ATTEMPTS: runs per record when the failure is transient. Default 1 (no retry). */
  attempts?: number
  /** WEIBO_PUSH_HANDLER_BACKOFF_MS: the wait before the second run, doubled for each next one (with jitter). */
  backoffMs?: number
  /** Where records whose handler failed for good are kept for the operator. Without it they are only logged. */
  deadLetters?: StreamDeadLetterStore
  /** Jitter source in [0, 1); tests pin it. Default `Math.random`. */
  random?: () => number
}

export interface StreamDispatcher {
  /** Runs the handler for one record (the push stream client's `onRecord`). Never rejects: failures are logged. */
  dispatch: (record: StreamRecord) => Promise<void>
  /** Shutdown's grace period is over: handlers still running get their abort signal. */
  abort: () => void
  /** Records being dispatched now (their handler not done yet). */
  readonly pending: number
  /** Resolves when no record is being dispatched (at once if none is); what `weibo-fanbot chat` waits for. */
  idle: () => Promise<void>
}

/** The longest wait between two runs of a record's handler, whatever the attempts and backoff. */
const MAX_BACKOFF_MS = 60_000

/**
 * From stream record to handler: the record becomes a `status` or `comment` message, the router picks the handler
 * (only handlers that name the type: `*` is for fans' pushes), and it runs under HANDLER_TIMEOUT_MS. A stream
 * record has no conversation to answer in, so a returned reply is not sent: it is logged as a mistake, pointing
 * to `ctx.api.directMessages.send`. A transient failure runs the handler again, up to `attempts` runs with
 * backoff (the handler sees the record again: it should be idempotent, as for a replay after a crash); a permanent
 * failure, the last attempt, or shutdown puts the record in the dead-letter list.
 */
export function createStreamDispatcher (options: StreamDispatcherOptions): StreamDispatcher {
  const { router, logger } = options
  const attempts = options.attempts ?? 1
  const backoffMs = options.backoffMs ?? 1000
  const random = options.random ?? Math.random
  const shutdown = new AbortController()
  setMaxListeners(0, shutdown.signal)
  const work = createWorkTracker()

  async function deadLetter (input: { record: StreamRecord, handler: string, error: FanbotError, attempts: number }): Promise<void> {
    const { record, error } = input
    const facts = { handler: input.handler, pushStream: { id: record.id, type: record.text.type, code: 'WEIBO_ERR_STREAM_HANDLER_FAILED', error: error.code, attempts: input.attempts } }
    options.metrics?.streamHandlerFailures.inc({ outcome: 'dead-lettered' })
    if (options.deadLetters === undefined) {
      logger.error(facts, 'push stream record failed for good; it will not be retried')
      return
    }
    try {
      await options.deadLetters.add({
        id: record.id, record, handler: input.handler, code: error.code, message: error.message, attempts: input.attempts, failedAt: Date.now()
      })
      logger.error(facts, 'push stream record failed for good; it is in the dead-letter list (weibo-fanbot stream failed, stream retry)')
    } catch (storeError) {
      options.metrics?.storeErrors.inc({ operation: 'stream-dead-letter' })
      logger.error({ ...facts, err: storeError, deadLetters: { code: 'WEIBO_ERR_STREAM_DEAD_LETTERS_UNAVAILABLE' } },
        'push stream record failed for good, and the dead-letter list cannot be written: only this log line is left of it')
    }
  }

  async function handle (record: StreamRecord): Promise<void> {
    const message = toStreamMessage(record)
    if (message === undefined) {
      logger.debug({ pushStream: { id: record.id, type: record.text.type } }, 'push stream record of a type no handler can take; skipped')
      return
    }
    const handler = router.select(message)
    if (handler === undefined) {
      logger.debug({ pushStream: { id: record.id, type: message.type } }, 'no handler for this push stream record')
      return
    }
    for (let attempt = 1; ; attempt++) {
      const result = await runHandler({
        handler,
        message,
        dedupKey: `stream:${record.id}`,
        timeoutMs: options.handlerTimeoutMs,
        shutdownSignal: shutdown.signal,
        api: options.api,
        logger,
        onRun: options.onHandlerRun,
        ...(options.metrics === undefined ? {} : { metrics: options.metrics })
      })
      if (result.status === 'reply') {
        logger.warn({ handler: handler.name, pushStream: { id: record.id, type: message.type } },
          `handler ${handler.name} returned a reply to a push stream record; it was not sent (there is no conversation): message the author with ctx.api.directMessages.send`)
      }
      if (result.status !== 'error') return
      // At shutdown there is no time left to wait: the record is kept in the list rather than lost.
      if (attempt < attempts && !shutdown.signal.aborted && isTransientHandlerFailure(result.error)) {
        const delay = backoffDelay(attempt, { minMs: backoffMs, maxMs: Math.max(backoffMs, MAX_BACKOFF_MS), random })
        options.metrics?.streamHandlerFailures.inc({ outcome: 'retried' })
        logger.warn({ handler: handler.name, pushStream: { id: record.id, type: message.type, error: result.error.code, attempt, attempts, retryInMs: delay } },
          'push stream handler failed; running it again after a backoff')
        await sleep(delay, undefined, { signal: shutdown.signal }).catch(() => {}) // cut short by shutdown
        if (!shutdown.signal.aborted) continue
      }
      await deadLetter({ record, handler: handler.name, error: result.error, attempts: attempt })
      return
    }
  }

  return {
    dispatch: async (record) => { await work.track(handle(record)) },
    abort () {
      shutdown.abort()
    },
    get pending () { return work.size },
    idle: work.idle
  }
}

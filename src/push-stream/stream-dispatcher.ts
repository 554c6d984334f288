import { setMaxListeners } from 'node:events'
import type { HandlerRouter } from '../handler-router.ts'
import { runHandler, type HandlerRun } from '../handler-runner.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
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

/**
 * From stream record to handler: the record becomes a `status` or `comment` message, the router picks the handler
 * (only handlers that name the type: `*` is for fans' pushes), and it runs under HANDLER_TIMEOUT_MS. A stream
 * record has no conversation to answer in, so a returned reply is not sent: it is logged as a mistake, pointing
 * to `ctx.api.directMessages.send`.
 */
export function createStreamDispatcher (options: StreamDispatcherOptions): StreamDispatcher {
  const { router, logger } = options
  const shutdown = new AbortController()
  setMaxListeners(0, shutdown.signal)
  const work = createWorkTracker()

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

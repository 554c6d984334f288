import { setTimeout as sleep } from 'node:timers/promises'
import { describeFetchFailure } from '../weibo-api/fetch-failure.ts'
import { redactUrl, type Logger } from '../logger.ts'
import { backoffDelay } from '../backoff.ts'
import { createBacklogFilter, type BacklogPolicy } from './stream-backlog.ts'
import { createRecordProcessor, type RecordOutcome, type RecordProcessor } from './record-processor.ts'
import type { SinceIdStore } from './since-id-store.ts'
import { runConnection, type ConnectionEnd } from './stream-connection.ts'
import type { StreamDedup } from './stream-dedup-store.ts'
import { isIpLimited } from './stream-error.ts'
import type { StreamRecord } from './stream-record.ts'

export type CloseReason = 'end' | 'idle' | 'error' | 'ip-limited' | 'stopped'

/** Hooks for metrics; each is optional. One that throws is logged and ignored. */
export interface PushStreamObserver {
  /** A connection was answered 2xx. */
  connected?: () => void
  closed?: (info: { reason: CloseReason, records: number }) => void
  record?: (outcome: RecordOutcome) => void
}

export interface PushStreamOptions {
  /** The endpoint, e.g. `https://c.api.weibo.com/commercial/push`. */
  url: string
  subid: string
  sinceIds: SinceIdStore
  dedup: StreamDedup
  /** The consumer. Its rejection is logged and the record counted `failed`; it is not retried. */
  onRecord: (record: StreamRecord) => Promise<void>
  logger: Logger
  /** Records handed over and not yet settled before reading pauses (backpressure). Default 16. */
  maxInFlight?: number
  /** No byte for this long: abort and reconnect. Default 30,000 (Weibo closes after 5 s without data itself). */
  idleTimeoutMs?: number
  /** First wait after a failure; doubled per failure in a row, with jitter. Default 1,000. */
  reconnectMinMs?: number
  /** Longest wait after failures, and the retry interval while the IP is refused. Default 60,000. */
  reconnectMaxMs?: number
  /** How long `close` waits for records being handled. Default 10,000. */
  drainTimeoutMs?: number
  /** Longest record line kept, in bytes. Default 1 MiB. */
  maxLineBytes?: number
  fetch?: typeof fetch
  observer?: PushStreamObserver
  /** Jitter source in [0, 1); tests pin it. Default `Math.random`. */
  random?: () => number
  /** WEIBO_PUSH_BACKLOG: records replayed from before the position or start are skipped (default) or handled. */
  backlog?: BacklogPolicy
  /** WEIBO_PUSH_BACKLOG_MAX_AGE_MS: once resumed, a record older than this is backlog. Default three days. */
  backlogMaxAgeMs?: number
  /** Connections opened in any hour at most (WEIBO_PUSH_CONNECTS_PER_HOUR); past it the next waits. Default 1,200. */
  connectsPerHour?: number
}

export interface PushStream {
  /** The id of the last record received: the `since_id` of the next connection. */
  readonly sinceId: string | undefined
  /** A connection is open (answered 2xx). */
  readonly connected: boolean
  /** Records received and not settled yet (being deduplicated or handled). */
  readonly pending: number
  /**
   * Stops: aborts the connection, stops reconnecting, waits for records being handled (up to `drainTimeoutMs`),
   * then flushes and closes the since-id store. Idempotent.
   */
  close: () => Promise<void>
}

/**
 * A connection counts as healthy (ending a failure streak) only when it delivered a valid record or stayed open
 * this long: Weibo's own idle close comes after 5 s. One that closed sooner with nothing valid (an empty answer,
 * or only lines that are not records, such as a plain-text error) is a failure, and the next waits.
 */
const STAYED_OPEN_MS = 4000
const HOUR_MS = 3_600_000
/** After Weibo's normal close the next connection follows at once, spread over this much (replicas). */
const RECONNECT_SPREAD_MS = 50

/**
 * Keeps a connection to Weibo's commercial push stream: loads the saved position, connects with `since_id`,
 * hands records to `onRecord`, reconnects when Weibo closes (at once) or on failure (with backoff), and keeps
 * retrying every `reconnectMaxMs` while Weibo refuses this server's IP, so fixing the IP list heals it.
 */
export function startPushStream (options: PushStreamOptions): PushStream {
  const { logger, subid } = options
  const minMs = options.reconnectMinMs ?? 1000
  const maxMs = options.reconnectMaxMs ?? 60_000
  const random = options.random ?? Math.random
  const stop = new AbortController()
  let processor: RecordProcessor | undefined
  let connected = false
  let failures = 0
  let ipLimited = false
  let everConnected = false
  let closing: Promise<void> | undefined

  const facts = (more: Record<string, unknown>): { pushStream: Record<string, unknown> } => ({ pushStream: { subid, ...more } })

  /** Calls a metrics hook; one that throws is logged, never allowed to stop the stream. */
  function notify<Args extends unknown[]> (hook: ((...args: Args) => void) | undefined, ...args: Args): void {
    try {
      hook?.(...args)
    } catch (error) {
      logger.warn({ err: error, ...facts({}) }, 'push stream observer threw; ignored')
    }
  }

  function requestUrl (sinceId: string | undefined): string {
    const url = new URL(options.url)
    url.searchParams.set('subid', subid)
    if (sinceId !== undefined) url.searchParams.set('since_id', sinceId)
    return url.href
  }

  async function pause (ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: stop.signal }).catch(() => {}) // cut short by close
  }

  async function loadSinceId (): Promise<string | undefined> {
    for (let attempt = 1; !stop.signal.aborted; attempt++) {
      try {
        return await options.sinceIds.load()
      } catch (error) {
        // Starting without it would skip what came while we were away: wait for the store instead.
        const delay = backoffDelay(attempt, { minMs, maxMs, random })
        logger.warn({ err: error, ...facts({ retryInMs: delay }) }, 'cannot load the saved push stream position; retrying before connecting')
        await pause(delay)
      }
    }
    return undefined
  }

  /** The stream delivers again: end any failure streak, and say so if there was one. */
  function healthy (): void {
    if (ipLimited) logger.info(facts({}), 'push stream connected again: Weibo accepts this server\'s IP now')
    else if (failures > 0) logger.info(facts({ failures }), 'push stream connected again after failures')
    ipLimited = false
    failures = 0
  }

  /**
   * Waits, if need be, until one more connection fits the hourly budget: a sliding hour of connection times,
   * whatever the failures in a row say, so no storm can pass it. Said once per time the budget runs out.
   */
  const connectTimes: number[] = []
  const connectsPerHour = options.connectsPerHour ?? 1200
  async function withinBudget (): Promise<void> {
    while (connectTimes.length > 0 && Date.now() - (connectTimes[0] ?? 0) >= HOUR_MS) connectTimes.shift()
    if (connectTimes.length >= connectsPerHour) {
      const waitMs = (connectTimes[0] ?? 0) + HOUR_MS - Date.now()
      logger.error(facts({ code: 'WEIBO_ERR_STREAM_CONNECT_BUDGET', connectsPerHour, waitMs }),
        `push stream opened ${connectsPerHour} connections in the last hour (WEIBO_PUSH_CONNECTS_PER_HOUR); the next waits ${Math.round(waitMs / 1000)} s`)
      await pause(waitMs)
      connectTimes.shift()
    }
    connectTimes.push(Date.now())
  }

  /** Logs how a connection ended and returns the wait before the next one. */
  function afterClose (end: ConnectionEnd, durationMs: number, validRecords: number): { reason: CloseReason, delay: number } {
    const closed = { reason: end.reason, records: end.lines, durationMs }
    switch (end.reason) {
      case 'stopped':
        return { reason: 'stopped', delay: 0 }
      case 'end':
        if (validRecords === 0 && durationMs < STAYED_OPEN_MS) {
          failures++
          const delay = backoffDelay(failures, { minMs, maxMs, random })
          logger.warn(facts({ ...closed, code: 'WEIBO_ERR_STREAM_HTTP', retryInMs: delay }), end.lines === 0
            ? 'push stream closed at once without records; reconnecting with backoff'
            : 'push stream closed at once after lines that are not records; reconnecting with backoff')
          return { reason: 'end', delay }
        }
        healthy()
        return { reason: 'end', delay: Math.round(random() * RECONNECT_SPREAD_MS) }
      case 'idle': {
        failures++
        const delay = backoffDelay(failures, { minMs, maxMs, random })
        logger.warn(facts({ ...closed, idleTimeoutMs: options.idleTimeoutMs ?? 30_000, retryInMs: delay }), 'push stream sent nothing for idleTimeoutMs; reconnecting')
        return { reason: 'idle', delay }
      }
      case 'error': {
        failures++
        const delay = backoffDelay(failures, { minMs, maxMs, random })
        const { reason } = describeFetchFailure(end.error)
        logger.warn(facts({ ...closed, code: 'WEIBO_ERR_STREAM_HTTP', error: reason, retryInMs: delay }), 'push stream connection failed; reconnecting with backoff')
        return { reason: 'error', delay }
      }
      case 'rejected': {
        const weibo = { status: end.status, errorCode: end.weiboError?.errorCode, error: end.weiboError?.error }
        if (end.weiboError !== undefined && isIpLimited(end.weiboError)) {
          const detail = facts({ ...closed, ...weibo, code: 'WEIBO_ERR_STREAM_IP_LIMITED', retryInMs: maxMs })
          if (!ipLimited) {
            logger.fatal(detail, `Weibo refused the push stream: "Ip is limited". Add this server's public IP to the IP list of subscription ${subid} on open.weibo.com; retrying every ${maxMs} ms until it is allowed, no restart needed`)
          } else {
            logger.warn(detail, 'push stream still refused: "Ip is limited"; retrying')
          }
          ipLimited = true
          return { reason: 'ip-limited', delay: maxMs }
        }
        failures++
        const delay = backoffDelay(failures, { minMs, maxMs, random })
        logger.warn(facts({ ...closed, ...weibo, code: 'WEIBO_ERR_STREAM_HTTP', retryInMs: delay }), 'push stream answered with an error; reconnecting with backoff')
        return { reason: 'error', delay }
      }
    }
  }

  async function run (): Promise<void> {
    const loaded = await loadSinceId()
    if (stop.signal.aborted) return
    const current = createRecordProcessor({
      sinceId: loaded,
      sinceIds: options.sinceIds,
      dedup: options.dedup,
      onRecord: options.onRecord,
      maxInFlight: options.maxInFlight ?? 16,
      isBacklog: createBacklogFilter({ policy: options.backlog ?? 'skip', firstStart: loaded === undefined, startedAt: Date.now(), maxAgeMs: options.backlogMaxAgeMs ?? 3 * 86_400_000 }),
      logger,
      onOutcome: (outcome) => { notify(options.observer?.record, outcome) }
    })
    processor = current
    for (let attempt = 1; !stop.signal.aborted; attempt++) {
      await withinBudget()
      if (stop.signal.aborted) break
      const sinceId = current.lastReceived
      const url = requestUrl(sinceId)
      logger.debug(facts({ attempt, sinceId, url: redactUrl(url) }), 'push stream connecting')
      const started = Date.now()
      let validRecords = 0
      const end = await runConnection({
        url,
        fetch: options.fetch ?? fetch,
        idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
        maxLineBytes: options.maxLineBytes ?? 1024 * 1024,
        stop: stop.signal,
        onOpen (status) {
          connected = true
          const level = everConnected ? 'debug' : 'info'
          everConnected = true
          logger[level](facts({ status, sinceId }), 'push stream connected')
          notify(options.observer?.connected)
        },
        onLine (item) {
          if (current.accept(item) && validRecords++ === 0) healthy() // valid records flow: any failure streak is over
        },
        waitForSlot: current.waitForSlot
      })
      connected = false
      const durationMs = Date.now() - started
      const { reason, delay } = afterClose(end, durationMs, validRecords)
      logger[reason === 'stopped' ? 'info' : 'debug'](facts({ reason, records: end.lines, durationMs, sinceId: current.lastReceived, nextInMs: delay }), 'push stream closed')
      notify(options.observer?.closed, { reason, records: end.lines })
      if (delay > 0) await pause(delay)
    }
  }

  const running = run().catch((error: unknown) => {
    logger.error({ err: error, ...facts({}) }, 'push stream stopped on an unexpected error (a bug): no more records until a restart')
  })

  return {
    get sinceId () { return processor?.lastReceived },
    get connected () { return connected },
    get pending () { return processor?.inFlight ?? 0 },
    async close () {
      closing ??= (async () => {
        stop.abort()
        await running
        const drainTimeoutMs = options.drainTimeoutMs ?? 10_000
        if (processor !== undefined && !await processor.drain(drainTimeoutMs)) {
          logger.warn(facts({ abandoned: processor.inFlight, drainTimeoutMs }), 'push stream closed with records still being handled; the saved position is before them, so they come again after a restart')
        }
        await options.sinceIds.flush()
        await options.sinceIds.close()
      })()
      await closing
    }
  }
}

import { UNKNOWN_ACCOUNT_LABEL } from './accounts.ts'
import type { DispatchResult, Dispatcher } from './dispatcher.ts'
import { FanbotError } from './errors.ts'
import type { Logger } from './logger.ts'
import type { Message } from './message-schema.ts'
import type { Metrics } from './metrics.ts'
import { readPush, type PushReading } from './push-reader.ts'
import type { DeferredSighting } from './dedup/deferred-sighting.ts'

/** Every verified push is answered 200 (Weibo retries anything else); only the body varies. */
export interface PushAnswer {
  /** The passive reply JSON, or `''` for a blank answer. */
  body: string
}

export interface PushProcessor {
  /**
   * Reads, validates and dispatches one verified push; throws a 400-class `FanbotError` for a malformed one.
   * `accounts`: the uids its callback path serves (several accounts); a push for another is answered blank, unhandled.
   * Synchronous when the dispatcher is (see `Dispatcher.dispatch`): `await` it either way.
   * `sighting`: the push's replay check, left to the dedup claim (on Redis); a push that is not claimed (malformed,
   * of an unknown type, for another account) has it checked on its own first, so a replay is refused (401) before
   * anything else is said about it, as when the route checks first.
   */
  process: (raw: string, elapsedMs: () => number, accounts?: ReadonlySet<string>, sighting?: DeferredSighting) => PushAnswer | Promise<PushAnswer>
  /** Logs a push refused before dispatch (bad signature, too large, malformed), in the same shape as the others. */
  logRejected: (rejected: RejectedPush) => void
}

export interface RejectedPush {
  error: FanbotError
  durationMs: number
  /** The client's address (`request.ip`: the proxy's, unless TRUST_PROXY trusts it to name the client). */
  client: string
}

export interface PushProcessorOptions {
  dispatcher: Dispatcher
  logger: Logger
  metrics?: Metrics
  /** The `account` label of a push's metrics (its uid in the accounts file); default: `default` for every push. */
  accountLabel?: (receiverId: string) => string
}

/** At most this many distinct unknown types are remembered for "log once per type"; Weibo adds few. */
const MAX_REMEMBERED_UNKNOWN_TYPES = 100

/** Writes one log line per push (type, sender, dedup key, handler, outcome, duration) around the dispatcher. */
export function createPushProcessor (options: PushProcessorOptions): PushProcessor {
  const { dispatcher, logger } = options
  // The one line per push (LOG_LEVEL=info) is built below from fixed fields only (type, subtype, sender id, dedup
  // key, handler name, outcome, duration): nothing in it can be a credential, so it skips pino's redaction, which
  // was two thirds of the line's cost (17 -> 6.5 us per line, bench/README.md). Every other line stays redacted.
  const pushLog = logger.child({}, { redact: { paths: [] } })
  const unknownTypesSeen = new Set<string>()
  const accountLabel = options.accountLabel ?? (() => 'default')

  function noteUnknown (type: string, subtype: string | undefined): void {
    const label = subtype === undefined ? type : `${type}:${subtype}`
    if (unknownTypesSeen.has(label) || unknownTypesSeen.size >= MAX_REMEMBERED_UNKNOWN_TYPES) return
    unknownTypesSeen.add(label)
    logger.warn({ push: { type, subtype } }, `ignoring pushes of unknown type ${label} (logged once per type)`)
  }

  /** Counts and logs a dispatched push; its answer is the body the dispatcher gave. */
  function answered (message: Message, result: DispatchResult, elapsedMs: () => number): PushAnswer {
    options.metrics?.pushes.inc({ type: message.type, outcome: result.outcome, account: accountLabel(message.receiver_id) })
    // The line's object is built only when it is written (LOG_LEVEL=warn and above skip it).
    if (pushLog.isLevelEnabled('info')) {
      pushLog.info({
        push: {
          type: message.type,
          subtype: 'subtype' in message.data ? message.data.subtype : undefined,
          sender: message.sender_id,
          dedupKey: result.dedupKey,
          handler: result.handler,
          outcome: result.outcome,
          durationMs: Math.round(elapsedMs())
        }
      }, `push ${result.outcome}`)
    }
    return { body: result.body }
  }

  function process (raw: string, elapsedMs: () => number, accounts?: ReadonlySet<string>, sighting?: DeferredSighting): PushAnswer | Promise<PushAnswer> {
    let reading: PushReading
    try {
      reading = readPush(raw)
    } catch (error) {
      if (sighting === undefined) throw error
      return sighting.check().then(() => { throw error }) // a replay's 401 comes first
    }
    // Not claimed (of an unknown type, for no account of this path): checked on its own, then handled as without.
    if (sighting !== undefined && (reading.kind !== 'message' || (accounts !== undefined && !accounts.has(reading.message.receiver_id)))) {
      return sighting.check().then(() => handle(reading, elapsedMs, accounts, undefined))
    }
    return handle(reading, elapsedMs, accounts, sighting)
  }

  function handle (reading: PushReading, elapsedMs: () => number, accounts: ReadonlySet<string> | undefined, sighting: DeferredSighting | undefined): PushAnswer | Promise<PushAnswer> {
    if (reading.kind === 'unsupported') {
      noteUnknown(reading.type, reading.subtype)
      // One label for every unknown type: label values must stay few.
      options.metrics?.pushes.inc({ type: 'unknown', outcome: 'ignored', account: UNKNOWN_ACCOUNT_LABEL })
      logger.debug({ push: { type: reading.type, subtype: reading.subtype, outcome: 'ignored', durationMs: Math.round(elapsedMs()) } }, 'push ignored')
      return { body: '' }
    }
    const { message } = reading
    if (accounts !== undefined && !accounts.has(message.receiver_id)) {
      // Signed with this path's secret but for no account of it: handling it would answer with another account's
      // token and state. Blank 200: a refusal would only make Weibo retry what can never succeed.
      const error = new FanbotError('WEIBO_ERR_ACCOUNT_UNKNOWN', { detail: `receiver_id ${message.receiver_id}` })
      options.metrics?.pushes.inc({ type: message.type, outcome: 'unknown-account', account: UNKNOWN_ACCOUNT_LABEL })
      logger.warn({ push: { type: message.type, receiver: message.receiver_id, sender: message.sender_id, outcome: 'unknown-account', code: error.code, durationMs: Math.round(elapsedMs()) } },
        `push for account ${message.receiver_id}, not an account of this callback path: answered blank, not handled (WEIBO_ACCOUNTS_FILE)`)
      return { body: '' }
    }
    // The request's start on both clocks: epoch for the late reply's time-to-fan, steady for the reply deadline.
    const elapsed = elapsedMs()
    const result = dispatcher.dispatch(message, { receivedAt: Date.now() - elapsed, arrivedAt: performance.now() - elapsed, sighting })
    return result instanceof Promise ? result.then((settled) => answered(message, settled, elapsedMs)) : answered(message, result, elapsedMs)
  }

  return {
    process,
    logRejected ({ error, durationMs, client }) {
      const outcome = error.code === 'WEIBO_ERR_SERVER_OVERLOADED' ? 'overloaded' : 'rejected'
      options.metrics?.pushes.inc({ type: 'unknown', outcome, account: UNKNOWN_ACCOUNT_LABEL })
      logger.warn({ push: { outcome, code: error.code, reason: error.message, client, durationMs: Math.round(durationMs) } }, 'push rejected')
    }
  }
}

import type { Logger } from '../logger.ts'
import { checkId, createRecordFactory, recordLine, type PushRecordSpec, type PushStreamRecord } from './push-stream-records.ts'

export { recordLine }
export type { PushRecordSpec, PushStreamComment, PushStreamRecord, PushStreamStatus, PushStreamUser } from './push-stream-records.ts'

/** The fake's commercial/push subscription (protocol §8); every duration in ms of real time, except `retentionMs`. */
export interface PushStreamOptions {
  /** The only subscription id the stream serves; default '1000'. */
  subid?: string
  /** A connection is ended (after flushing) this long after it opened; Weibo's 5 minutes by default. */
  maxConnectionMs?: number
  /** A connection is ended after this long without a write; Weibo's 5 s by default. */
  idleCloseMs?: number
  /** Records older than this, by the fake's clock (`now`), are gone; 72 h by default. */
  retentionMs?: number
  /** Records sent to a client that gives no usable `since_id`; Weibo's 100 by default. */
  replayCount?: number
  /** The store keeps at most this many records, dropping the oldest; 10,000 by default (house rule: bounded). */
  maxRecords?: number
  /** Writes every record in several small chunks (see `fragmentLine`), to test a client's framing; default false. */
  fragment?: boolean
}

export const PUSH_STREAM_DEFAULTS = {
  subid: '1000',
  maxConnectionMs: 5 * 60_000,
  idleCloseMs: 5_000,
  retentionMs: 72 * 3600_000,
  replayCount: 100,
  maxRecords: 10_000,
  fragment: false
} as const satisfies Required<PushStreamOptions>

export interface PushStreamWriteOptions {
  /** Overrides the stream's `fragment` option for this write. */
  fragment?: boolean
}

export type PushStreamCloseReason =
  | 'idle' // no write for idleCloseMs
  | 'max-time' // open for maxConnectionMs
  | 'ended' // endConnections()
  | 'dropped' // dropConnections(): sockets destroyed, no clean end
  | 'client' // the client went away first
  | 'closing' // the fake API closed

/** One accepted connection, as `waitForConnection` hands it to a test. */
export interface PushStreamConnection {
  /** `since_id` as the client sent it (undefined when absent or empty). */
  sinceId: string | undefined
  /** True when `since_id` named a stored record, so the replay started after it. */
  resumed: boolean
  /** Records written on connecting, before any live one. */
  replayed: number
  /** Settles (never rejects) when the connection is over, with why. */
  closed: Promise<PushStreamCloseReason>
}

/** What a test or the simulator drives: `api.pushStream`. */
export interface FakePushStream {
  readonly subid: string
  /** Stores a record and writes it to every open connection; returns the record (frozen, ids as strings). */
  publish: (spec: PushRecordSpec, options?: PushStreamWriteOptions) => PushStreamRecord
  /** Writes exactly these bytes to every open connection and stores nothing; returns how many connections got them. */
  publishRaw: (data: string | Uint8Array, options?: PushStreamWriteOptions) => number
  /** Stored records, oldest first, without those past retention. */
  readonly records: readonly PushStreamRecord[]
  /** Forgets every record; ids keep counting up, so an old since_id stays unknown. */
  clear: () => void
  /** While true, every stream request is refused with "Ip is limited" (10004). */
  limitIp: (limited: boolean) => void
  /** Connections open now. */
  readonly connections: number
  /**
   * The first accepted connection not yet handed out by an earlier call, waiting for it if need be; so a test
   * awaits its client's 1st, 2nd… connection in turn, however early or late it calls.
   */
  waitForConnection: () => Promise<PushStreamConnection>
  /** Ends every open connection cleanly now (after writing what is queued); settles when they are closed. */
  endConnections: () => Promise<void>
  /** Destroys every open connection's socket without a clean end. */
  dropConnections: () => void
}

/** One open HTTP response, as the route hands it over. */
export interface PushStreamSink {
  write: (bytes: Uint8Array, fragment: boolean) => void
  /** Ends cleanly after what is queued; `hurry` writes the queue without the fragment gaps. */
  end: (reason: PushStreamCloseReason, hurry: boolean) => void
  drop: () => void
  readonly closed: Promise<PushStreamCloseReason>
}

/** The store and its connections, with what the route and the fake API need besides the public part. */
export interface PushStreamHub extends FakePushStream {
  readonly settings: Readonly<Required<PushStreamOptions>>
  readonly ipLimited: boolean
  /** Registers an open response and writes the replay to it. */
  connect: (sinceId: string | undefined, sink: PushStreamSink) => PushStreamConnection
  /** Ends every connection for the fake's close, destroying any still open after `graceMs`. */
  closeAll: (graceMs?: number) => Promise<void>
}

interface StoredRecord { record: PushStreamRecord, line: Buffer, at: number }

const MAX_CONNECTIONS_KEPT = 1_000

function checkCount (name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`pushStream.${name} must be an integer >= ${min}, got ${value}`)
  return value
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

/**
 * The fake's commercial/push subscription: a bounded store of records, kept for `retentionMs` by the fake's clock,
 * and the open connections they are written to. Data ids and weibo ids are 16 digits below 2^53, counting up.
 * A `since_id` is looked up by identity among the stored records, not compared as a number.
 */
export function createFakePushStream (options: PushStreamOptions & { now: () => number, accountId: string, logger: Logger }): PushStreamHub {
  const settings: Required<PushStreamOptions> = {
    subid: checkId('pushStream.subid', options.subid ?? PUSH_STREAM_DEFAULTS.subid),
    maxConnectionMs: checkCount('maxConnectionMs', options.maxConnectionMs ?? PUSH_STREAM_DEFAULTS.maxConnectionMs, 1),
    idleCloseMs: checkCount('idleCloseMs', options.idleCloseMs ?? PUSH_STREAM_DEFAULTS.idleCloseMs, 1),
    retentionMs: checkCount('retentionMs', options.retentionMs ?? PUSH_STREAM_DEFAULTS.retentionMs, 0),
    replayCount: checkCount('replayCount', options.replayCount ?? PUSH_STREAM_DEFAULTS.replayCount, 0),
    maxRecords: checkCount('maxRecords', options.maxRecords ?? PUSH_STREAM_DEFAULTS.maxRecords, 1),
    fragment: options.fragment ?? PUSH_STREAM_DEFAULTS.fragment
  }
  const { now, logger } = options
  const records = createRecordFactory({ now, accountId: options.accountId })
  const stored: StoredRecord[] = []
  const open = new Set<PushStreamSink>()
  const accepted: PushStreamConnection[] = []
  let acceptedOffset = 0 // the absolute number of accepted[0], once old entries are dropped
  let cursor = 0
  const waiters = new Map<number, { resolve: (connection: PushStreamConnection) => void, reject: (error: Error) => void }>()
  let ipLimited = false

  const forget = (count: number): void => {
    for (const entry of stored.splice(0, count)) records.release(entry.record)
  }
  const prune = (): void => {
    // Records are stored in publishing order, so the expired ones come first.
    const cutoff = now() - settings.retentionMs
    const expired = stored.findIndex((entry) => entry.at >= cutoff)
    forget(expired < 0 ? stored.length : expired)
    if (stored.length > settings.maxRecords) forget(stored.length - settings.maxRecords)
  }
  const writeAll = (bytes: Uint8Array, fragment: boolean): number => {
    for (const sink of open) sink.write(bytes, fragment)
    return open.size
  }

  const endAll = async (reason: PushStreamCloseReason): Promise<void> => {
    const closing = [...open].map((sink) => { sink.end(reason, true); return sink.closed })
    await Promise.all(closing)
  }

  return {
    settings,
    get subid () { return settings.subid },
    get ipLimited () { return ipLimited },
    publish (spec, writeOptions = {}) {
      prune()
      const record = deepFreeze(records.build(spec))
      const line = recordLine(record)
      stored.push({ record, line, at: now() })
      prune()
      writeAll(line, writeOptions.fragment ?? settings.fragment)
      return record
    },
    publishRaw (data, writeOptions = {}) {
      return writeAll(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, writeOptions.fragment ?? settings.fragment)
    },
    get records () {
      prune()
      return stored.map((entry) => entry.record)
    },
    clear () { forget(stored.length) },
    limitIp (limited) { ipLimited = limited },
    get connections () { return open.size },
    waitForConnection () {
      const index = Math.max(cursor, acceptedOffset)
      cursor = index + 1
      const existing = accepted[index - acceptedOffset]
      if (existing !== undefined) return Promise.resolve(existing)
      const waiting = new Promise<PushStreamConnection>((resolve, reject) => { waiters.set(index, { resolve, reject }) })
      // Rejected when the fake closes first; a test that stopped caring should not fail on an unhandled rejection.
      waiting.catch(() => {})
      return waiting
    },
    endConnections: async () => { await endAll('ended') },
    dropConnections () {
      for (const sink of open) sink.drop()
    },
    connect (sinceId, sink) {
      prune()
      const after = sinceId === undefined ? -1 : stored.findIndex((entry) => entry.record.id === sinceId)
      // since_id omitted, unknown, past retention or not an id: the most recent replayCount records (protocol §8).
      const replay = after >= 0 ? stored.slice(after + 1) : stored.slice(Math.max(0, stored.length - settings.replayCount))
      const connection: PushStreamConnection = { sinceId, resumed: after >= 0, replayed: replay.length, closed: sink.closed }
      open.add(sink)
      sink.closed.then((reason) => {
        open.delete(sink)
        logger.debug({ weiboApi: { path: '/commercial/push', closed: reason } }, 'fake Weibo API ended a push-stream connection')
      }, () => {})
      for (const entry of replay) sink.write(entry.line, settings.fragment)

      const number = acceptedOffset + accepted.length
      accepted.push(connection)
      if (accepted.length > MAX_CONNECTIONS_KEPT) { accepted.shift(); acceptedOffset++ }
      waiters.get(number)?.resolve(connection)
      waiters.delete(number)
      logger.debug({ weiboApi: { path: '/commercial/push', sinceId, resumed: connection.resumed, replayed: replay.length } },
        'fake Weibo API opened a push-stream connection')
      return connection
    },
    async closeAll (graceMs = 1_000) {
      for (const waiter of waiters.values()) waiter.reject(new Error('the fake Weibo API closed before a push-stream client connected'))
      waiters.clear()
      const timer = setTimeout(() => { for (const sink of open) sink.drop() }, graceMs)
      try {
        await endAll('closing')
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

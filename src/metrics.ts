import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client'
import { LabelledCounter, LabelledHistogram } from './labelled-metrics.ts'

/**
 * The Prometheus metrics of one app (its own registry, so several apps in one process — tests, the test kit —
 * do not collide). Names are `weibo_fanbot_*`; Node's process and event-loop metrics come with them.
 * Metrics of a subsystem that is off (the push stream, the outbox, reply quotas, Redis) are still objects the
 * code may count on, but they are not in the registry: a scrape shows only what this server runs.
 */
export interface Metrics {
  registry: Registry
  /** Every push by `type` and `outcome` (passive, blank, active, duplicate, failed, rejected, ignored, overloaded). */
  pushes: LabelledCounter<'type' | 'outcome' | 'account'>
  /** Weibo retries: `joined` a copy still running, or `replayed` an answer already given. */
  duplicates: LabelledCounter<'kind'>
  /** Pushes answered blank at the deadline, their reply handed to the active path. */
  deadlineHandoffs: Counter
  /** How each late reply ended, in every mode (direct or through the outbox). */
  lateReplies: Counter<'outcome' | 'account'>
  /** From the push's arrival to the late reply accepted by Weibo: how long the fan waited. */
  lateReplyTimeToFan: Histogram
  /** Time to answer Weibo on the callback route, by method and HTTP status: Weibo gives up after 5 s. */
  callbackDuration: LabelledHistogram<'method' | 'status'>
  /** Weibo API attempts by endpoint, outcome and Weibo `error_code` (`none` when there was none). */
  apiCalls: Counter<'endpoint' | 'outcome' | 'error_code'>
  /** Failed store operations (Redis down) by operation (claim, settle, wait, quota-record, quota-take…): the push was still handled. */
  storeErrors: Counter<'operation'>
  /** Late replies handed to the outbox: `queued` in Redis, or `fallback` (sent directly, not durable). */
  outboxEnqueued: Counter<'result'>
  /** Outbox delivery attempts by this replica's worker: sent, retrying, failed. */
  outboxAttempts: Counter<'outcome'>
  /** Active replies refused by the bot before calling Weibo, by reason (protocol §4.3 rules). */
  repliesRefused: Counter<'reason'>
  /** Commercial push stream records, by outcome (handled, duplicate, invalid, skipped, failed). */
  streamRecords: Counter<'outcome'>
  /** Stream records' handler failures: a run tried again (retried), a record given up (dead-lettered), one replayed. */
  streamHandlerFailures: Counter<'outcome'>
  /** Commercial push stream connections ended, by reason (end, idle, error, ip-limited, stopped). */
  streamConnections: Counter<'reason'>
  /** 1 while the commercial push stream is connected. */
  streamConnected: Gauge
  /** Dedup store size, read at scrape time (the in-memory store only: with Redis the count lives in Redis). */
  dedupEntries: Gauge
  /** Fans' sessions after a run: `saved` (changed), `conflict` (another run saved first), `skipped` (push already applied). */
  sessionWrites: Counter<'result'>
  /** How long fans' pushes waited for the fan's earlier push (the per-fan queue), in seconds. */
  fanQueueWait: Histogram
  /** Handler run time by handler and how the run ended (reply, none, error). */
  handlerDuration: LabelledHistogram<'handler' | 'status'>
}

/** The subsystems whose metrics are exported only when they run. */
export interface MetricSubsystems {
  /** The commercial push stream (WEIBO_PUSH_SUBID). */
  pushStream: boolean
  /** The BullMQ outbox (REDIS_URL, and Redis reached at start). */
  outbox: boolean
  /** Reply window and quota tracking (REPLY_QUOTA_ENFORCE). */
  quota: boolean
  /** Redis-backed stores (store errors); the in-memory dedup store's size otherwise. */
  redis: boolean
}

export interface CreateMetricsOptions {
  /** Reads the dedup store's entry count at scrape time. */
  dedupEntries: () => number
}

/** Weibo's window is 5 s: fine buckets up to it, then a few past it to see how late a late answer was. */
const CALLBACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 4.5, 5, 10]
/** A late reply comes after the deadline (≥ 1 ms, 4 s by default), then maybe after outbox retries (minutes). */
const TIME_TO_FAN_BUCKETS = [1, 2, 4, 5, 6, 8, 10, 15, 20, 30, 60, 120, 300, 900, 3600]

export interface CreatedMetrics extends Metrics {
  /** Adds the metrics of the subsystems that run to the registry; call once, when the app knows which run. */
  expose: (subsystems: MetricSubsystems) => void
}

export function createMetrics (options: CreateMetricsOptions): CreatedMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]
  // Optional metrics start outside any registry; `expose` adds those whose subsystem runs.
  const none: Registry[] = []
  const metrics: Metrics = {
    registry,
    dedupEntries: new Gauge({
      name: 'weibo_fanbot_dedup_entries',
      help: 'Pushes remembered to recognise Weibo retries (in flight and answered), in this process\'s memory',
      registers: none,
      collect () { this.set(options.dedupEntries()) }
    }),
    // The four metrics every push updates are ours (labelled-metrics.ts: prom-client's cost ~1.3 µs per call); the
    // registry renders them like the rest.
    pushes: new LabelledCounter({ name: 'weibo_fanbot_pushes_total', help: 'Pushes received, by type, outcome and receiving account (its uid in WEIBO_ACCOUNTS_FILE; default without it; unknown when not known)', labelNames: ['type', 'outcome', 'account'], registers }),
    duplicates: new LabelledCounter({ name: 'weibo_fanbot_duplicates_total', help: 'Weibo retries recognised, by kind (joined, replayed)', labelNames: ['kind'], registers }),
    lateReplies: new Counter({
      name: 'weibo_fanbot_late_replies_total',
      help: 'Late replies by how they ended: sent (Weibo accepted it), failed, refused (reply window or quota), dry-run (no token), none (the handler returned nothing after the deadline), by receiving account',
      labelNames: ['outcome', 'account'],
      registers
    }),
    lateReplyTimeToFan: new Histogram({
      name: 'weibo_fanbot_late_reply_time_to_fan_seconds',
      help: "From the push's arrival to the late reply accepted by Weibo: how long the fan waited",
      buckets: TIME_TO_FAN_BUCKETS,
      registers
    }),
    callbackDuration: new LabelledHistogram({
      name: 'weibo_fanbot_callback_duration_seconds',
      help: 'Time to answer a request on the callback URL, by method and HTTP status (Weibo waits 5 s)',
      labelNames: ['method', 'status'],
      buckets: CALLBACK_BUCKETS,
      registers
    }),
    storeErrors: new Counter({ name: 'weibo_fanbot_store_errors_total', help: 'Store operations that failed (dedup claim/settle/wait, quota-*): the push or reply was still handled', labelNames: ['operation'], registers: none }),
    outboxEnqueued: new Counter({ name: 'weibo_fanbot_outbox_enqueued_total', help: 'Late replies handed to the outbox, by result: queued in Redis, or fallback (sent directly, not durable)', labelNames: ['result'], registers: none }),
    outboxAttempts: new Counter({ name: 'weibo_fanbot_outbox_attempts_total', help: "Outbox delivery attempts by this replica's worker, by outcome (sent, retrying, failed)", labelNames: ['outcome'], registers: none }),
    repliesRefused: new Counter({ name: 'weibo_fanbot_replies_refused_total', help: 'Active replies refused before calling Weibo (reply window or quota rules), by reason', labelNames: ['reason'], registers: none }),
    streamRecords: new Counter({ name: 'weibo_fanbot_stream_records_total', help: 'Commercial push stream records, by outcome (handled, duplicate, invalid, skipped, failed)', labelNames: ['outcome'], registers: none }),
    streamHandlerFailures: new Counter({ name: 'weibo_fanbot_stream_handler_failures_total', help: 'Commercial push stream handler failures, by outcome (retried: run again after a transient failure; dead-lettered: given up, in the dead-letter list; replayed: taken back from it by stream retry)', labelNames: ['outcome'], registers: none }),
    streamConnections: new Counter({ name: 'weibo_fanbot_stream_connections_total', help: 'Commercial push stream connections ended, by reason (end, idle, error, ip-limited, stopped)', labelNames: ['reason'], registers: none }),
    streamConnected: new Gauge({ name: 'weibo_fanbot_stream_connected', help: '1 while the commercial push stream is connected', registers: none }),
    sessionWrites: new Counter({ name: 'weibo_fanbot_session_writes_total', help: 'Session writes after a run, by result (saved, conflict, skipped: the push was already applied)', labelNames: ['result'], registers }),
    deadlineHandoffs: new Counter({ name: 'weibo_fanbot_deadline_handoffs_total', help: 'Pushes answered blank at REPLY_DEADLINE_MS, their reply sent later', registers }),
    apiCalls: new Counter({
      name: 'weibo_fanbot_api_calls_total',
      help: 'Weibo API attempts, by endpoint, outcome (ok or the WEIBO_ERR_API_* code) and Weibo error_code',
      labelNames: ['endpoint', 'outcome', 'error_code'],
      registers
    }),
    fanQueueWait: new Histogram({
      name: 'weibo_fanbot_fan_queue_wait_seconds',
      help: "Time a push waited for its fan's earlier pushes before its middleware and handler ran",
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2, 4, 8, 30, 60],
      registers
    }),
    handlerDuration: new LabelledHistogram({
      name: 'weibo_fanbot_handler_duration_seconds',
      help: 'Handler run time, by handler and status (reply, none, error)',
      labelNames: ['handler', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
      registers
    })
  }
  function expose (subsystems: MetricSubsystems): void {
    const optional: Array<[boolean, Metric]> = [
      [subsystems.pushStream, metrics.streamRecords],
      [subsystems.pushStream, metrics.streamHandlerFailures],
      [subsystems.pushStream, metrics.streamConnections],
      [subsystems.pushStream, metrics.streamConnected],
      [subsystems.outbox, metrics.outboxEnqueued],
      [subsystems.outbox, metrics.outboxAttempts],
      [subsystems.quota, metrics.repliesRefused],
      [subsystems.redis, metrics.storeErrors],
      [!subsystems.redis, metrics.dedupEntries]
    ]
    for (const [on, metric] of optional) if (on) registry.registerMetric(metric)
  }
  return { ...metrics, expose }
}

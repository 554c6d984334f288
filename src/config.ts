import { isIP } from 'node:net'
import { z } from 'zod'
import { FanbotError } from './errors.ts'

/** Environment values arrive as strings; a blank value (`KEY=` in an env file) means "not set". */
const integer = (options: { min: number, max: number, fallback: number }) =>
  z.coerce.number().int().min(options.min).max(options.max).default(options.fallback)

const flag = (fallback: boolean) =>
  z.enum(['true', 'false', '1', '0']).default(fallback ? 'true' : 'false').transform((value) => value === 'true' || value === '1')

/** A URL path as CALLBACK_PATH (and an accounts file's `callbackPath`) may be. */
export const CALLBACK_PATH_PATTERN = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/

const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** TRUST_PROXY as Fastify's `trustProxy` takes it: a boolean, a hop count, or the addresses and ranges to trust. */
function parseTrustProxy (value: string, context: z.RefinementCtx): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true'
  if (/^\d{1,2}$/.test(value)) return Number(value)
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  const bad = entries.filter((entry) => {
    if (PROXY_RANGES.has(entry)) return false
    const [address = '', bits, ...rest] = entry.split('/')
    const family = isIP(address)
    if (family === 0 || rest.length > 0) return true
    return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
  })
  if (entries.length === 0 || bad.length > 0) {
    context.addIssue({ code: 'custom', message: `must be true, false, a hop count, or addresses/CIDRs separated by commas (not ${bad.join(', ') || 'empty'})` })
    return z.NEVER
  }
  return entries
}

/**
 * The single description of weibo-fanbot's configuration: names, defaults, bounds. `.env.example` lists exactly
 * these keys (a test checks it) and docs/configuration.md documents each (a test checks that too).
 */
export const ConfigSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: integer({ min: 0, max: 65535, fallback: 3000 }),
  HOST: z.string().min(1).default('0.0.0.0'),
  CALLBACK_PATH: z.string().regex(CALLBACK_PATH_PATTERN, 'must be a URL path starting with /').default('/weibo'),
  WEIBO_APP_SECRET: z.string().min(1).optional(),
  // The one way to run without WEIBO_APP_SECRET where it is required (production, the Docker image): loud on purpose.
  WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES: flag(false),
  // Unset: 300000 (5 minutes) in production, off (0) elsewhere. Seconds and milliseconds timestamps are both read.
  SIGNATURE_MAX_AGE_MS: z.coerce.number().int().min(0).max(86_400_000).optional(),
  // Unset: on in production. Remembers each signed query's body; the same query with another body is refused.
  REPLAY_PROTECTION: z.enum(['true', 'false', '1', '0']).optional(),
  WEIBO_ACCESS_TOKEN: z.string().min(1).optional(),
  // Several Weibo accounts on one server: a JSON file listing them (src/accounts.ts reads it). Unset: one account,
  // from WEIBO_ACCESS_TOKEN, WEIBO_APP_SECRET and CALLBACK_PATH.
  WEIBO_ACCOUNTS_FILE: z.string().min(1).optional(),
  WEIBO_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://m.api.weibo.com')
    .transform((url) => url.replace(/\/+$/, '')),
  WEIBO_C_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://c.api.weibo.com')
    .transform((url) => url.replace(/\/+$/, '')),
  WEIBO_UPLOAD_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://upload.api.weibo.com')
    .transform((url) => url.replace(/\/+$/, '')),
  WEIBO_OPEN_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.weibo.com')
    .transform((url) => url.replace(/\/+$/, '')),
  // standard: m.api messages/reply.json; biz: the commercial c.api messages/reply/biz.json.
  WEIBO_REPLY_ENDPOINT: z.enum(['standard', 'biz']).default('standard'),
  // Commercial (c.api) requests per hour from this process; Weibo allows 50,000 per IP (share it between replicas).
  WEIBO_C_API_REQUESTS_PER_HOUR: integer({ min: 1, max: 50_000, fallback: 50_000 }),
  WEIBO_API_TIMEOUT_MS: integer({ min: 100, max: 120_000, fallback: 10_000 }),
  WEIBO_API_MAX_RETRIES: integer({ min: 0, max: 10, fallback: 3 }),
  WEIBO_API_RETRY_MIN_MS: integer({ min: 0, max: 60_000, fallback: 200 }),
  WEIBO_REPLY_SAVE_SENDER_BOX: flag(true),
  HANDLERS_DIR: z.string().min(1).default('handlers'),
  // Weibo gives up after 5 s; the default leaves a second for the network.
  REPLY_DEADLINE_MS: integer({ min: 1, max: 4900, fallback: 4000 }),
  HANDLER_TIMEOUT_MS: integer({ min: 1, max: 3_600_000, fallback: 60_000 }),
  // Weibo retries within about 15 s; a shorter memory would let its retries through as new messages.
  DEDUP_TTL_MS: integer({ min: 1000, max: 86_400_000, fallback: 300_000 }),
  DEDUP_MAX: integer({ min: 1, max: 10_000_000, fallback: 100_000 }),
  // How long the answer body is kept to replay to a retry (Weibo retries within ~20 s); the push stays recognised
  // as seen for DEDUP_TTL_MS, and a retry after this gets a blank answer. 0 keeps no answer bodies.
  DEDUP_REPLAY_TTL_MS: integer({ min: 0, max: 86_400_000, fallback: 60_000 }),
  // Sessions (ctx.session) live this long after the fan's last message: Weibo's 48-hour reply window by default.
  SESSION_TTL_MS: integer({ min: 1000, max: 30 * 86_400_000, fallback: 48 * 3_600_000 }),
  // Sessions kept in memory (without Redis); past it the fan quiet the longest loses his.
  SESSION_MAX: integer({ min: 1, max: 10_000_000, fallback: 100_000 }),
  // On Redis: how long a replica that died mid-push can hold its fan's turn before the next push takes it.
  FAN_QUEUE_LEASE_MS: integer({ min: 100, max: 600_000, fallback: 10_000 }),
  BODY_LIMIT_BYTES: integer({ min: 256, max: 10_485_760, fallback: 65_536 }),
  // Weibo gives up after 5 s: a request not arrived whole (or a socket silent mid-request) this long is cut off (408).
  REQUEST_TIMEOUT_MS: integer({ min: 500, max: 120_000, fallback: 10_000 }),
  // Idle keep-alive connections are kept this long; above a load balancer's idle timeout (60 s on most) so it closes first.
  KEEP_ALIVE_TIMEOUT_MS: integer({ min: 1000, max: 600_000, fallback: 72_000 }),
  // Requests served on one connection before it is closed (0 = no limit); spreads a balancer's connections over replicas.
  MAX_REQUESTS_PER_SOCKET: integer({ min: 0, max: 1_000_000, fallback: 0 }),
  // Open connections accepted at once; further ones are closed as they arrive.
  MAX_CONNECTIONS: integer({ min: 1, max: 1_000_000, fallback: 2048 }),
  SHUTDOWN_TIMEOUT_MS: integer({ min: 0, max: 600_000, fallback: 10_000 }),
  // Behind a load balancer: keep serving this long after SIGTERM while /readyz says 503, so traffic moves first.
  SHUTDOWN_DRAIN_DELAY_MS: integer({ min: 0, max: 120_000, fallback: 0 }),
  // Scale-out: with REDIS_URL, dedup is shared by every replica and late replies go through a durable BullMQ outbox.
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - only').default('weibo-fanbot'),
  // Start without Redis (in-memory, this replica alone) when it cannot be reached at start, instead of exiting.
  REDIS_OPTIONAL: flag(false),
  // Late replies this replica's outbox worker sends at once; 0 runs no worker here (web-only replica).
  OUTBOX_CONCURRENCY: integer({ min: 0, max: 100, fallback: 4 }),
  // Tries per late reply in the outbox (transient failures only), and the first backoff (doubled each time).
  OUTBOX_ATTEMPTS: integer({ min: 1, max: 50, fallback: 8 }),
  OUTBOX_BACKOFF_MS: integer({ min: 10, max: 600_000, fallback: 1000 }),
  // A worker's hold on the late reply it sends; a replica that dies loses it this long after, and another takes the job.
  OUTBOX_LOCK_MS: integer({ min: 1000, max: 600_000, fallback: 30_000 }),
  // Reply windows and quotas (protocol §4.3), checked before a reply is sent. Configurable: Weibo has changed them before.
  REPLY_QUOTA_ENFORCE: flag(true),
  REPLY_WINDOW_MS: integer({ min: 1000, max: 30 * 86_400_000, fallback: 48 * 3_600_000 }),
  REPLY_QUOTA_PER_WINDOW: integer({ min: 0, max: 1_000_000, fallback: 99 }),
  REPLY_QUOTA_PER_MENTION: integer({ min: 0, max: 1000, fallback: 1 }),
  // Fans tracked in memory (without Redis); past it the fan quiet the longest is forgotten.
  REPLY_QUOTA_MAX_FANS: integer({ min: 1, max: 10_000_000, fallback: 100_000 }),
  // The commercial push stream (protocol §8) is held only when a subscription id is set.
  WEIBO_PUSH_SUBID: z.string().regex(/^\d{1,20}$/, 'must be the numeric subscription id').optional(),
  WEIBO_PUSH_URL: z.url({ protocol: /^https?$/ }).default('https://c.api.weibo.com/commercial/push'),
  // Where the stream position is kept without Redis (with REDIS_URL it is kept in Redis).
  WEIBO_PUSH_SINCE_ID_FILE: z.string().min(1).default('data/push-since-id'),
  // Our guard against a dead connection (Weibo itself closes after 5 s without data).
  WEIBO_PUSH_IDLE_TIMEOUT_MS: integer({ min: 100, max: 600_000, fallback: 30_000 }),
  WEIBO_PUSH_RECONNECT_MIN_MS: integer({ min: 10, max: 600_000, fallback: 1000 }),
  WEIBO_PUSH_RECONNECT_MAX_MS: integer({ min: 10, max: 3_600_000, fallback: 60_000 }),
  // Stream connections opened in any hour at most, whatever fails: Weibo's normal cadence (a reconnect after each
  // 5-minute or 5-second-idle close) stays under 720; a reconnect storm stops here.
  WEIBO_PUSH_CONNECTS_PER_HOUR: integer({ min: 1, max: 50_000, fallback: 1200 }),
  // Records Weibo replays from before our position (its latest 100 on a first start, or for a since_id too old or
  // illegal): skipped unless `handle`. Once resumed, a record older than the max age is taken for that replay.
  WEIBO_PUSH_BACKLOG: z.enum(['skip', 'handle']).default('skip'),
  WEIBO_PUSH_BACKLOG_MAX_AGE_MS: integer({ min: 60_000, max: 30 * 86_400_000, fallback: 3 * 86_400_000 }),
  // Stream records handled at once; at the limit the stream is read no further until one finishes.
  WEIBO_PUSH_CONCURRENCY: integer({ min: 1, max: 1000, fallback: 16 }),
  // Runs of a stream record's handler when it fails transiently (timeout, retryable Weibo error, network), and the
  // first wait between runs (doubled each time, with jitter). A permanent failure or the last run dead-letters it.
  WEIBO_PUSH_HANDLER_ATTEMPTS: integer({ min: 1, max: 20, fallback: 3 }),
  WEIBO_PUSH_HANDLER_BACKOFF_MS: integer({ min: 10, max: 600_000, fallback: 1000 }),
  // The dead-letter list of stream records (weibo-fanbot stream failed): entries kept at most, and how long.
  WEIBO_PUSH_DEAD_LETTER_MAX: integer({ min: 1, max: 100_000, fallback: 1000 }),
  WEIBO_PUSH_DEAD_LETTER_TTL_MS: integer({ min: 60_000, max: 90 * 86_400_000, fallback: 7 * 86_400_000 }),
  // Bearer token for /metrics. Without it (and without METRICS_PORT), /metrics is open, except in production: refused.
  METRICS_TOKEN: z.string().min(1).optional(),
  // Serve /metrics on this port only (same HOST), not on the public one: for a scraper on the private network.
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  // Which proxies may set X-Forwarded-For (the client address logged on refused requests): false, true, a hop
  // count, or a comma-separated list of addresses and CIDRs (loopback, linklocal and uniquelocal name ranges).
  TRUST_PROXY: z.string().default('false').transform(parseTrustProxy),
  // Answer pushes 503 at once when the event loop lags past this (0 = never): a quick 503 beats a slow answer.
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: integer({ min: 0, max: 60_000, fallback: 1000 }),
  // json for machines; pretty for people (needs the pino-pretty dev dependency); auto = pretty on a terminal.
  LOG_FORMAT: z.enum(['json', 'pretty', 'auto']).default('json'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Log lines go to stdout in batches at most this many ms apart (0: each line written as it is logged). Default:
  // 100 in production (a write per line costs more than the line, bench/README.md), 0 elsewhere.
  LOG_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).optional()
})
  // `when` lets these checks run even when another variable is bad, so every problem is reported at once.
  // With an accounts file, each account's secret is checked when the file is read (an entry may carry its own).
  .refine((env) => env.NODE_ENV !== 'production' || env.WEIBO_APP_SECRET !== undefined || env.WEIBO_ACCOUNTS_FILE !== undefined || env.WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES, {
    path: ['WEIBO_APP_SECRET'],
    message: 'is required when NODE_ENV=production (without it anyone could post fake pushes; WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES=true is the opt-out)',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null
  })
  .refine((env) => env.WEIBO_ACCOUNTS_FILE === undefined || env.WEIBO_ACCESS_TOKEN === undefined, {
    path: ['WEIBO_ACCESS_TOKEN'],
    message: 'must not be set with WEIBO_ACCOUNTS_FILE: each account of the file carries its own accessToken (unset one of them)',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null
  })
  .refine((env) => !(env.HANDLER_TIMEOUT_MS < env.REPLY_DEADLINE_MS), {
    path: ['HANDLER_TIMEOUT_MS'],
    message: 'must be at least REPLY_DEADLINE_MS',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null
  })
  .refine((env) => !(env.WEIBO_PUSH_RECONNECT_MAX_MS < env.WEIBO_PUSH_RECONNECT_MIN_MS), {
    path: ['WEIBO_PUSH_RECONNECT_MAX_MS'],
    message: 'must be at least WEIBO_PUSH_RECONNECT_MIN_MS',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null
  })
  .transform((env) => ({
    nodeEnv: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    callbackPath: env.CALLBACK_PATH,
    appSecret: env.WEIBO_APP_SECRET,
    insecureAcceptUnsignedPushes: env.WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES,
    // Whether every account must have an app secret (checked for an accounts file when it is read); loadConfig's
    // requireAppSecret option turns it on too.
    appSecretRequired: env.NODE_ENV === 'production' && !env.WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES,
    signatureMaxAgeMs: env.SIGNATURE_MAX_AGE_MS ?? (env.NODE_ENV === 'production' ? 300_000 : 0),
    replayProtection: env.REPLAY_PROTECTION === undefined ? env.NODE_ENV === 'production' : env.REPLAY_PROTECTION === 'true' || env.REPLAY_PROTECTION === '1',
    accessToken: env.WEIBO_ACCESS_TOKEN,
    accountsFile: env.WEIBO_ACCOUNTS_FILE,
    apiBaseUrl: env.WEIBO_API_BASE_URL,
    commercialApiBaseUrl: env.WEIBO_C_API_BASE_URL,
    uploadApiBaseUrl: env.WEIBO_UPLOAD_API_BASE_URL,
    openApiBaseUrl: env.WEIBO_OPEN_API_BASE_URL,
    replyEndpoint: env.WEIBO_REPLY_ENDPOINT,
    commercialRequestsPerHour: env.WEIBO_C_API_REQUESTS_PER_HOUR,
    apiTimeoutMs: env.WEIBO_API_TIMEOUT_MS,
    apiMaxRetries: env.WEIBO_API_MAX_RETRIES,
    apiRetryMinMs: env.WEIBO_API_RETRY_MIN_MS,
    replySaveSenderBox: env.WEIBO_REPLY_SAVE_SENDER_BOX,
    handlersDir: env.HANDLERS_DIR,
    replyDeadlineMs: env.REPLY_DEADLINE_MS,
    handlerTimeoutMs: env.HANDLER_TIMEOUT_MS,
    dedupTtlMs: env.DEDUP_TTL_MS,
    dedupMax: env.DEDUP_MAX,
    dedupReplayTtlMs: env.DEDUP_REPLAY_TTL_MS,
    sessionTtlMs: env.SESSION_TTL_MS,
    sessionMax: env.SESSION_MAX,
    fanQueueLeaseMs: env.FAN_QUEUE_LEASE_MS,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS,
    maxRequestsPerSocket: env.MAX_REQUESTS_PER_SOCKET,
    maxConnections: env.MAX_CONNECTIONS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainDelayMs: env.SHUTDOWN_DRAIN_DELAY_MS,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    redisOptional: env.REDIS_OPTIONAL,
    outboxConcurrency: env.OUTBOX_CONCURRENCY,
    outboxAttempts: env.OUTBOX_ATTEMPTS,
    outboxBackoffMs: env.OUTBOX_BACKOFF_MS,
    outboxLockMs: env.OUTBOX_LOCK_MS,
    replyQuota: {
      enforce: env.REPLY_QUOTA_ENFORCE,
      windowMs: env.REPLY_WINDOW_MS,
      repliesPerWindow: env.REPLY_QUOTA_PER_WINDOW,
      repliesPerMention: env.REPLY_QUOTA_PER_MENTION,
      maxFans: env.REPLY_QUOTA_MAX_FANS
    },
    pushStream: env.WEIBO_PUSH_SUBID === undefined
      ? undefined
      : {
          subid: env.WEIBO_PUSH_SUBID,
          url: env.WEIBO_PUSH_URL,
          sinceIdFile: env.WEIBO_PUSH_SINCE_ID_FILE,
          idleTimeoutMs: env.WEIBO_PUSH_IDLE_TIMEOUT_MS,
          reconnectMinMs: env.WEIBO_PUSH_RECONNECT_MIN_MS,
          reconnectMaxMs: env.WEIBO_PUSH_RECONNECT_MAX_MS,
          connectsPerHour: env.WEIBO_PUSH_CONNECTS_PER_HOUR,
          backlog: env.WEIBO_PUSH_BACKLOG,
          backlogMaxAgeMs: env.WEIBO_PUSH_BACKLOG_MAX_AGE_MS,
          concurrency: env.WEIBO_PUSH_CONCURRENCY,
          handlerAttempts: env.WEIBO_PUSH_HANDLER_ATTEMPTS,
          handlerBackoffMs: env.WEIBO_PUSH_HANDLER_BACKOFF_MS,
          deadLetterMax: env.WEIBO_PUSH_DEAD_LETTER_MAX,
          deadLetterTtlMs: env.WEIBO_PUSH_DEAD_LETTER_TTL_MS
        },
    metricsToken: env.METRICS_TOKEN,
    metricsPort: env.METRICS_PORT,
    trustProxy: env.TRUST_PROXY,
    overloadMaxEventLoopDelayMs: env.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
    logFormat: env.LOG_FORMAT,
    logLevel: env.LOG_LEVEL,
    logFlushMs: env.LOG_FLUSH_MS ?? (env.NODE_ENV === 'production' ? 100 : 0)
  }))

export type Config = Readonly<z.output<typeof ConfigSchema>>
export type Environment = Readonly<Record<string, string | undefined>>

/** The environment variable names the schema reads, in declaration order. */
export const CONFIG_KEYS: readonly string[] = Object.keys(ConfigSchema.in.shape)

export interface LoadConfigOptions {
  /**
   * Refuse to start without WEIBO_APP_SECRET whatever NODE_ENV says (the Docker image's CMD asks for it with
   * `--require-app-secret`: an env file can blank NODE_ENV, it cannot change the command).
   */
  requireAppSecret?: boolean
}

/**
 * Reads the configuration from `env` (pass `process.env` from the entry point; tests pass a plain object).
 * Every bad variable is reported at once in one `WEIBO_ERR_CONFIG_INVALID` error.
 */
export function loadConfig (env: Environment, options: LoadConfigOptions = {}): Config {
  const relevant: Record<string, string> = {}
  for (const key of CONFIG_KEYS) {
    const value = env[key]
    if (value !== undefined && value.trim() !== '') relevant[key] = value.trim()
  }
  const result = ConfigSchema.safeParse(relevant)
  const problems: string[] = result.success ? [] : [z.prettifyError(result.error)]
  const optedOut = relevant.WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES === 'true' || relevant.WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES === '1'
  const required = options.requireAppSecret === true && !optedOut
  if (required && relevant.WEIBO_APP_SECRET === undefined && relevant.WEIBO_ACCOUNTS_FILE === undefined &&
    !problems.some((problem) => problem.includes('WEIBO_APP_SECRET'))) {
    problems.push('✖ is required by this server\'s command (--require-app-secret, as in the Docker image), whatever NODE_ENV says; ' +
      'set it to the app secret, or WEIBO_INSECURE_ACCEPT_UNSIGNED_PUSHES=true to run with verification off\n  → at WEIBO_APP_SECRET')
  }
  if (!result.success || problems.length > 0) {
    throw new FanbotError('WEIBO_ERR_CONFIG_INVALID', { detail: `\n${problems.join('\n')}`, cause: result.success ? undefined : result.error })
  }
  return Object.freeze(required ? { ...result.data, appSecretRequired: true } : result.data)
}

import type { TestContext } from 'node:test'
import type { Config } from '../../src/config.ts'
import { dedupKey } from '../../src/dedup/dedup-key.ts'
import type { LateReply } from '../../src/late-reply.ts'
import { createOutbox, type CreateOutboxOptions, type Outbox } from '../../src/outbox/outbox.ts'
import type { OutboxObserver } from '../../src/outbox/outbox-observer.ts'
import { readPush } from '../../src/push-reader.ts'
import { validateReply, type Reply } from '../../src/reply.ts'
import type { ApiCall } from '../../src/simulator/api-call-log.ts'
import { createConversation } from '../../src/simulator/conversation.ts'
import { createFakeWeiboApi, type FakeWeiboApi } from '../../src/simulator/fake-weibo-api.ts'
import { createWeiboApiClient, type WeiboApiClient } from '../../src/weibo-api/client.ts'
import { createWeiboHttp } from '../../src/weibo-api/http.ts'
import { waitFor } from './deferred.ts'
import { testConfig } from './config.ts'
import { captureLogs, type CapturedLogs } from './logs.ts'
import { fixtureWith } from './push.ts'
import { deleteKeys, redisUrl, uniquePrefix } from './redis.ts'
import { API_TOKEN, FAN } from './simulator-api.ts'

export { FAN }

/** Every outcome the outbox reported to its observer, in order. */
export interface Observed extends Required<OutboxObserver> {
  events: string[]
}

export function observe (): Observed {
  const events: string[] = []
  return { events, enqueued: (result) => { events.push(`enqueued:${result}`) }, attempted: (outcome) => { events.push(`attempted:${outcome}`) }, ended: ({ outcome }) => { events.push(`ended:${outcome}`) } }
}

export interface OutboxWorld {
  url: string
  prefix: string
  /** The fake Weibo API, listening, with the fan's reply window open unless `fanWrote: false`. */
  fake: FakeWeiboApi
  logs: CapturedLogs
  /** A test config on this Redis, prefix and fake API: fast backoff, 3 attempts, a worker of 2. */
  config: (env?: Record<string, string | undefined>) => Config
  /** The app's API client (inner retries on), as buildApp makes it. */
  appApi: (config: Config) => WeiboApiClient
  /** createOutbox on `config(env)`, closed when the test ends (before the keys are deleted). */
  outbox: (env?: Record<string, string | undefined>, options?: Partial<CreateOutboxOptions>) => Outbox
  /** Registers a closer; closers run in reverse order, then the fake closes and the prefix's keys go. */
  defer: (close: () => Promise<void>) => void
  /** The payloads of the replies the fake accepted through messages/reply, in order. */
  delivered: () => unknown[]
  /** Every messages/reply call, accepted or not. */
  replyCalls: () => ApiCall[]
}

let pushCounter = 0

/** A late reply to FAN for a push of its own (its own dedup key), as the dispatcher hands it over. */
export function lateReply (words: string, reply: Reply = { type: 'text', text: `re: ${words}` }): LateReply {
  // created_at has one-second resolution; the seconds field keeps each push of a run apart.
  const second = String(pushCounter++ % 60).padStart(2, '0')
  const reading = readPush(fixtureWith('text', { text: words, created_at: `Mon Jan 15 12:00:${second} +0800 2024` }))
  if (reading.kind !== 'message') throw new Error('fixture is not a message')
  const valid = validateReply(reply)
  if (valid === undefined) throw new Error('no reply')
  return { message: reading.message, reply: valid, handler: 'slow-text', dedupKey: dedupKey(reading.message), receivedAt: Date.now() }
}

/**
 * The one polling helper (test/helpers/deferred.ts), for the outbox tests: their conditions are mostly Redis reads
 * (BullMQ's job counts are several commands), so every 25 ms, not every 5. Polled every 5 ms by five tests at once
 * (test/outbox/cli.test.ts), they kept a Redis shared with the whole suite busy enough that a count timed out (the
 * fail-fast connection's 500 ms) and the worker they waited for fell behind its 20 s.
 */
export const until = async (check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void> => { await waitFor(check, timeoutMs, 25) }

/**
 * The world of one outbox test: the shared Redis under a random prefix, a fake Weibo API on loopback that
 * accepts API_TOKEN, captured logs. Everything is closed, and every key under the prefix deleted, at the end.
 */
export async function outboxWorld (t: TestContext, options: { fanWrote?: boolean } = {}): Promise<OutboxWorld> {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const closers: Array<() => Promise<void>> = []
  const conversation = createConversation()
  const fake = createFakeWeiboApi({ accessToken: API_TOKEN, rules: { repliesPerWindow: 1000 }, conversation })
  const baseUrl = await fake.listen()
  // One hook, so the order is ours: workers and queues first, then the fake, then the keys they may still write.
  t.after(async () => {
    for (const close of closers.reverse()) await close()
    await fake.close()
    await deleteKeys(url, prefix)
  })
  if (options.fanWrote !== false) fake.recordFanActivity({ type: 'text', sender_id: FAN, text: 'hello' })
  const logs = captureLogs('debug')
  const config = (env: Record<string, string | undefined> = {}): Config => testConfig({
    REDIS_URL: url,
    REDIS_KEY_PREFIX: prefix,
    WEIBO_ACCESS_TOKEN: API_TOKEN,
    WEIBO_API_BASE_URL: baseUrl,
    OUTBOX_BACKOFF_MS: '10',
    OUTBOX_ATTEMPTS: '3',
    OUTBOX_CONCURRENCY: '2',
    // Not the tests' usual 2 s: the fake answers in this process, so a call that times out only says the machine was
    // busy (at load 15-20 the direct send of 'Redis unreachable' timed out, ended:failed, after the fake had
    // answered). A test about the API timeout sets its own.
    WEIBO_API_TIMEOUT_MS: '30000',
    ...env
  })
  const appApi = (cfg: Config): WeiboApiClient => createWeiboApiClient({
    http: createWeiboHttp({
      baseUrl: cfg.apiBaseUrl,
      accessToken: cfg.accessToken,
      timeoutMs: cfg.apiTimeoutMs,
      maxRetries: cfg.apiMaxRetries,
      retryMinMs: cfg.apiRetryMinMs,
      logger: logs.logger
    }),
    saveSenderBox: cfg.replySaveSenderBox
  })
  const defer = (close: () => Promise<void>): void => { closers.push(close) }
  return {
    url,
    prefix,
    fake,
    logs,
    config,
    appApi,
    defer,
    outbox (env = {}, extra = {}) {
      const cfg = config(env)
      const outbox = createOutbox({ config: cfg, api: appApi(cfg), logger: logs.logger, ...extra })
      defer(outbox.close)
      return outbox
    },
    delivered: () => conversation.entries(FAN).flatMap((entry) => entry.from === 'bot' && entry.via === 'active' ? [entry.data] : []),
    replyCalls: () => fake.calls.filter((call) => call.path === '/2/messages/reply.json')
  }
}

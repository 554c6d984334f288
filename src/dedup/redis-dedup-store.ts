import type { Redis } from 'ioredis'
import { ownerClaim, type Answer, type Claim, type DedupStore } from './dedup-store.ts'
import type { DeferredSighting } from './deferred-sighting.ts'
import type { Logger } from '../logger.ts'
import { createScriptBatch } from '../redis-script-batch.ts'
import { redisTurn } from '../redis-turn.ts'

/**
 * Two keys per push, as the in-memory store keeps two records: the "seen" key `<prefix>:dedup:<key>` holds `P`
 * while the first copy runs (`W` once a retry waits for it) and `A` once answered, for DEDUP_TTL_MS; the answer
 * body is a key of its own, `<prefix>:dedup-answer:<key>`, kept only for DEDUP_REPLAY_TTL_MS (none for a blank
 * answer). Both are written by one script, so a reader that finds `A` without a body knows the answer was blank or
 * its replay window has passed: a blank answer either way, as in memory. (`A<body>` in the seen key is what an
 * earlier version wrote; it is still read.)
 */
const ANSWERED = 'A'

/**
 * Claims the push, or joins it, in one round trip. Answers `1` to the owner (a bare integer: a table would cost
 * Redis a Lua table and a nested reply, and the client an array to parse, on nearly every push), `{1, …}` to an owner
 * whose replay write failed (below); `{0}` to a retry while the first copy runs, after marking the seen key `W`
 * (someone waits: the owner's settle will announce the answer); `{2, seen, body}` to a retry of a push answered
 * already. A script, so nothing can expire or change between its steps.
 * With a digest (not ''), the push's replay check first (the replay store's `SET NX GET` on the replay key,
 * replay/redis-replay-store.ts): `{3}`, and nothing claimed, when the signed query was seen with another body. If
 * Redis refuses the replay write (`SET` with NX and GET needs Redis 7.0), the claim is made all the same and the
 * error comes fourth in the answer: the push goes through unchecked, as the replay store on its own would let it, and
 * dedup still holds. One item of a batch (redis-script-batch.ts). Keys: seen key, answer key, replay key (the seen
 * key again when there is no check: Redis refuses a key outside an ACL user's key patterns, '' included, even unused).
 * Arguments: the claim's lifetime (ms), the body's digest ('': no replay check), the replay record's lifetime (ms).
 */
const CLAIM_ITEM = `
local seenKey, answerKey, replayKey = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
local digest = ARGV[a + 2]
local replayError = false
if digest ~= '' then
  local before = redis.pcall('SET', replayKey, digest, 'PX', ARGV[a + 3], 'NX', 'GET')
  if type(before) == 'table' and before.err then replayError = before.err
  elseif before and before ~= digest then return {3} end
end
if redis.call('SET', seenKey, 'P', 'PX', ARGV[a + 1], 'NX') then
  if replayError then return {1, false, false, replayError} end
  return 1
end
local seen = redis.call('GET', seenKey)
if seen == 'P' then redis.call('SET', seenKey, 'W', 'KEEPTTL') return {0, false, false, replayError} end
if seen == 'W' then return {0, false, false, replayError} end
return {2, seen, redis.call('GET', answerKey), replayError}`

/**
 * Stores the answer and publishes it only when a retry waits (the seen key said `W`, read by the same `SET … GET`
 * that marks the push answered: one call per push fewer than a GET first; a Redis older than 6.2 refuses the GET
 * option without writing, and the item makes the two calls instead): with every replica hearing every message,
 * announcing each push would cost each replica a read per push for nothing. A joiner of an earlier
 * version marks nothing and finds the answer by its poll, unless no body is kept (DEDUP_REPLAY_TTL_MS=0): then a
 * reply is always announced, as that version did, so such a joiner still gets it. One item of a batch. Keys: seen
 * key, answer key. Arguments: DEDUP_TTL_MS, the answer, its replay window in ms ('0': not kept), the channel, the
 * announcement's head (see `announcementHead`). Exported for its test on an older Redis.
 */
export const SETTLE_ITEM = `
local seenKey, answerKey = KEYS[k + 1], KEYS[k + 2]
local answer, replayTtl = ARGV[a + 2], ARGV[a + 3]
local before = redis.pcall('SET', seenKey, 'A', 'PX', ARGV[a + 1], 'GET')
if type(before) == 'table' and before.err then
  before = redis.call('GET', seenKey)
  redis.call('SET', seenKey, 'A', 'PX', ARGV[a + 1])
end
if answer ~= '' and replayTtl ~= '0' then redis.call('SET', answerKey, answer, 'PX', replayTtl) end
if before == 'W' or (replayTtl == '0' and answer ~= '') then redis.call('PUBLISH', ARGV[a + 4], ARGV[a + 5] .. answer) end
return 1`

/** The claim script's answer: its code, the seen key's value and the answer body (code 2), a replay write's error. */
type ClaimReply = 1 | [code: 0 | 1 | 2 | 3, seen?: string | null, body?: string | null, replayError?: string | null]

/** After a SUBSCRIBE that failed on a connection still up (unanswered in time), the next try. */
const RESUBSCRIBE_MS = 1000

export interface RedisDedupStoreOptions {
  /** Connection for commands (fail-fast options: see redis-connection.ts). */
  redis: Redis
  /**
   * A second connection, used only for SUBSCRIBE, opened with SUBSCRIBER_OPTIONS (redis-connection.ts): the store
   * subscribes again itself after a reconnect, so ioredis must not.
   */
  subscriber: Redis
  prefix: string
  /** How long an answered push is recognised as seen (DEDUP_TTL_MS). */
  ttlMs: number
  /** How long the answer body is kept to replay it to a retry (DEDUP_REPLAY_TTL_MS; capped at `ttlMs`). Default 60 s. */
  replayTtlMs?: number
  /**
   * How long a claim stays "in flight" without an answer. The owner always answers by its reply deadline; if it
   * died instead, the claim lapses after this and a later retry is handled afresh rather than answered blank forever.
   */
  pendingTtlMs: number
  /** A joiner stops waiting after this (the dispatcher's own deadline normally ends the wait first). */
  maxWaitMs: number
  /** Polling beside pub/sub, in case a message is missed across a reconnect. */
  pollMs?: number
  logger: Logger
  /** Told of every Redis failure, for a metric. The push is still handled: at-least-once beats none. */
  onError?: (operation: 'claim' | 'settle' | 'wait') => void
}

export interface RedisDedupStore extends DedupStore {
  close: () => Promise<void>
}

/**
 * The dedup store shared by every replica. The first replica to see a push claims it atomically (SET NX PX); a
 * retry on any replica joins it: it waits for the answer the owner stores and announces on a channel (the message
 * carries the answer, so a retry waiting while the first copy runs gets it even with DEDUP_REPLAY_TTL_MS=0, as in
 * memory; a poll is the safety net), and replays it. If Redis fails, the push is handled here as new, with a warning.
 */
export function createRedisDedupStore (options: RedisDedupStoreOptions): RedisDedupStore {
  const { redis, subscriber, logger } = options
  const claims = createScriptBatch(redis, { name: 'fanbotDedupClaims', keysPerItem: 3, argsPerItem: 3, item: CLAIM_ITEM })
  const settles = createScriptBatch(redis, { name: 'fanbotDedupSettles', keysPerItem: 2, argsPerItem: 5, item: SETTLE_ITEM })
  const turn = redisTurn(redis)
  if (subscriber.options.autoResubscribe !== false) throw new Error('createRedisDedupStore: open the subscriber with SUBSCRIBER_OPTIONS (autoResubscribe: false)')
  const channel = `${options.prefix}:dedup-answers`
  const waiters = new Map<string, Set<(answer: Answer) => void>>()
  const seenPrefix = `${options.prefix}:dedup:`
  const answerPrefix = `${options.prefix}:dedup-answer:`
  const keyOf = (key: string): string => seenPrefix + key
  const answerKeyOf = (key: string): string => answerPrefix + key
  const replayTtlMs = Math.min(options.replayTtlMs ?? 60_000, options.ttlMs)

  function fail (operation: 'claim' | 'settle' | 'wait', error: unknown, key: string): void {
    options.onError?.(operation)
    logger.warn({ store: { operation, key, error: error instanceof Error ? error.message : String(error) } },
      operation === 'claim' ? 'dedup store unavailable: handling the push as new (a Weibo retry may run the handler again)' : `dedup store ${operation} failed`)
  }

  function wake (key: string, answer: Answer): void {
    const list = waiters.get(key)
    if (list === undefined) return
    waiters.delete(key)
    for (const resolve of list) resolve(answer)
  }

  /** The answer, from the seen key's value and the answer key's: undefined while the first copy still runs. */
  function answerOf (seen: string, body: string | null): Answer | undefined {
    if (!seen.startsWith(ANSWERED)) return undefined
    return body ?? seen.slice(ANSWERED.length)
  }

  async function readAnswer (key: string): Promise<Answer | undefined> {
    const [seen, body] = await redis.mget(keyOf(key), answerKeyOf(key))
    return seen === null || seen === undefined ? undefined : answerOf(seen, body ?? null)
  }

  subscriber.on('message', (_channel: string, message: string) => {
    if (waiters.size === 0) return // every replica hears every answer: most are nobody's business here
    const announced = parseAnnouncement(message)
    if (announced !== undefined) wake(announced.key, announced.answer)
  })
  let closed = false
  let resubscribe: NodeJS.Timeout | undefined
  /** Never rejects. A joiner waiting meanwhile still gets its answer: it polls too. */
  function subscribe (): Promise<void> {
    return subscriber.subscribe(channel).then(() => {}, (error: unknown) => {
      fail('wait', error, channel)
      // Unanswered in time on a connection still up: try again (Redis may have taken the first; SUBSCRIBE twice to
      // one channel is one subscription). A connection down subscribes again on its next `ready`.
      if (closed || subscriber.status !== 'ready') return
      clearTimeout(resubscribe)
      resubscribe = setTimeout(() => { subscribe().catch(() => {}) }, RESUBSCRIBE_MS).unref() // never rejects
    })
  }
  const subscribed = subscribe()
  // Every `ready` after this one is a reconnect, and Redis forgot the subscription (on a connection still coming up
  // when the store was made, it is the first: a second SUBSCRIBE to one channel is harmless).
  subscriber.on('ready', () => { if (!closed) subscribe().catch(() => {}) }) // never rejects

  async function waitForAnswer (key: string): Promise<Answer> {
    await subscribed
    return await new Promise<Answer>((resolve) => {
      const started = Date.now()
      let timer: NodeJS.Timeout | undefined
      const done = (answer: Answer): void => {
        clearTimeout(timer)
        resolve(answer)
      }
      const list = waiters.get(key) ?? new Set()
      list.add(done)
      waiters.set(key, list)
      const waiting = (): boolean => waiters.get(key)?.has(done) === true
      // The next poll only while still waiting: an answer heard on the channel during a read must not leave a timer
      // behind (it would do nothing, but hold the process up to pollMs).
      const again = (): void => { if (waiting()) timer = setTimeout(poll, options.pollMs ?? 100) }
      const poll = (): void => {
        if (!waiting()) return
        if (Date.now() - started > options.maxWaitMs) {
          waiters.get(key)?.delete(done)
          done('')
          return
        }
        readAnswer(key).then((answer) => {
          if (answer !== undefined) wake(key, answer)
          else again()
        }, again)
      }
      poll()
    })
  }

  function owner (key: string): Claim {
    return ownerClaim((answer) => {
      wake(key, answer) // joiners in this process need no round trip
      settles.send([keyOf(key), answerKeyOf(key)], [options.ttlMs, answer, replayTtlMs, channel, announcementHead(key)],
        (error) => { fail('settle', error, key) })
    })
  }

  /** A claim's answer other than the usual `1`: a replay refused, a replay write failed, or a retry joining. */
  function fromReply (key: string, [code, seen, body, replayError]: Exclude<ClaimReply, 1>, sighting: DeferredSighting | undefined): Claim {
    if (code === 3 && sighting !== undefined) sighting.refuse() // a replay: WEIBO_ERR_SIGNATURE_REPLAYED
    if (typeof replayError === 'string') sighting?.failed(new Error(replayError))
    if (code === 1) return owner(key)
    const answer = code === 2 && typeof seen === 'string' ? answerOf(seen, body ?? null) : undefined
    if (answer !== undefined) return { role: 'joiner', settled: true, answer }
    return { role: 'joiner', settled: false, answer: waitForAnswer(key) }
  }

  return {
    // Counted by Redis, not here: the in-process figure would be misleading across replicas.
    size: 0,
    // A promise chain, not an async function: it runs for every push, and the usual answer (`1`) needs nothing else.
    claim (key, sighting) {
      const seenKey = keyOf(key)
      return claims.run([seenKey, answerKeyOf(key), sighting?.key ?? seenKey], [options.pendingTtlMs, sighting?.value ?? '', sighting?.ttlMs ?? 0])
        .then((claimed) => claimed === 1 ? owner(key) : fromReply(key, claimed as Exclude<ClaimReply, 1>, sighting), (error: unknown): Claim => {
          fail('claim', error, key)
          sighting?.failed(error)
          return { role: 'owner', settle: () => {} }
        })
    },
    async ping () {
      await redis.ping()
    },
    async close () {
      closed = true
      // What this turn gave the batches (a settle, say) goes now, ahead of QUIT: after it, Redis reads nothing.
      turn.flush()
      clearTimeout(resubscribe)
      for (const key of [...waiters.keys()]) wake(key, '')
      // quit() on a connection that is down waits for it to come back: disconnect it instead.
      for (const connection of [subscriber, redis]) {
        if (connection.status === 'ready') await connection.quit().catch(() => { connection.disconnect() })
        else connection.disconnect()
      }
    }
  }
}

/**
 * The message announcing an answer is `<length of key>:<key><answer>`, so any key and answer survive it; the settle
 * script adds the answer to this head. (An earlier version announced the seen key's Redis name alone: such a message
 * does not parse, and its waiters' poll reads the answer instead.)
 */
function announcementHead (key: string): string {
  return `${key.length}:${key}`
}

function parseAnnouncement (message: string): { key: string, answer: Answer } | undefined {
  const colon = message.indexOf(':')
  const length = Number(message.slice(0, colon))
  if (colon <= 0 || !Number.isSafeInteger(length) || colon + 1 + length > message.length) return undefined
  return { key: message.slice(colon + 1, colon + 1 + length), answer: message.slice(colon + 1 + length) }
}

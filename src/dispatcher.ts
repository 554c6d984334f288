import { setMaxListeners } from 'node:events'
import type { Claim, DedupStore } from './dedup/dedup-store.ts'
import type { DeferredSighting } from './dedup/deferred-sighting.ts'
import { dedupKey } from './dedup/dedup-key.ts'
import type { HandlerRouter } from './handler-router.ts'
import type { HandlerRun, RunResult } from './handler-runner.ts'
import type { Logger } from './logger.ts'
import type { Message } from './message-schema.ts'
import { passiveReplyBody } from './reply-encoding.ts'
import { replyParts } from './reply.ts'
import type { LateReplySender } from './late-reply.ts'
import type { Metrics } from './metrics.ts'
import type { WeiboApiClient } from './weibo-api/client.ts'
import { createFanTurns, type FanTurns, type TurnResult } from './session/fan-turn.ts'
import { createMemoryFanQueue } from './session/memory-fan-queue.ts'
import { createMemorySessionStore } from './session/memory-session-store.ts'
import { createWorkTracker } from './work-tracker.ts'

/**
 * How a push was answered:
 * - `passive`: the reply is in the response body;
 * - `blank`: empty body, and nothing more will be sent (no handler, or the handler returned nothing);
 * - `active`: empty body at the deadline; the reply goes later through messages/reply;
 * - `duplicate`: a retry of a push already seen; it got the first copy's answer again;
 * - `failed`: the handler threw or returned an invalid reply; empty body, error logged.
 */
export type Outcome = 'passive' | 'blank' | 'active' | 'duplicate' | 'failed'

export interface DispatchResult {
  outcome: Outcome
  /** The response body: the passive reply JSON, or `''`. */
  body: string
  dedupKey: string
  handler?: string
}

export interface DispatcherOptions {
  router: HandlerRouter
  store: DedupStore
  lateReply: LateReplySender
  api: WeiboApiClient
  /**
   * Handler runs one fan at a time, with his session and the middleware (session/fan-turn.ts); buildApp passes
   * them. Default: `router`'s handlers, no middleware, sessions and fan queue in memory with default sizes.
   */
  turns?: FanTurns
  /**
   * Told of every new push (not Weibo's retries), so the fan's reply window opens before any reply (with several
   * accounts, the app passes a tracker that keys each fan by the push's account).
   */
  quota?: { record: (push: Message) => void | Promise<void> } | undefined
  /** The `account` label of the late-reply metric; default: `default` for every push. */
  accountLabel?: (receiverId: string) => string
  logger: Logger
  replyDeadlineMs: number
  handlerTimeoutMs: number
  metrics?: Metrics
  /** Told of every handler run as it ends (the passive and the late path alike). */
  onHandlerRun?: ((run: HandlerRun) => void) | undefined
}

export interface DispatchOptions {
  /** Epoch ms when the push arrived (the request's start); defaults to now. The late reply's time-to-fan counts from it. */
  receivedAt?: number
  /**
   * The same moment on the steady clock (`performance.now()`); defaults to now. The reply deadline counts from it:
   * a wall clock set back or forward meanwhile must not stretch or cut the answer's time.
   */
  arrivedAt?: number
  /** The push's replay check, made by the dedup claim in the same step (see `DedupStore.claim`). */
  sighting?: DeferredSighting | undefined
}

/** Sessions kept by a dispatcher built without `turns` (the defaults of SESSION_MAX and SESSION_TTL_MS). */
const DEFAULT_SESSIONS = { max: 100_000, ttlMs: 48 * 3_600_000 }

export interface Dispatcher {
  /** A result, or a promise of one when a step waited (Redis, a handler's promise, a retry's first copy): `await` it either way. */
  dispatch: (message: Message, options?: DispatchOptions) => DispatchResult | Promise<DispatchResult>
  /**
   * Waits for running handlers and late replies, at most `timeoutMs`; then fires the handlers' abort signal.
   * Resolves true when everything finished in time.
   */
  drain: (timeoutMs: number) => Promise<boolean>
  /** Resolves when no handler run or late reply is in progress (tests and the test kit wait on it). */
  idle: () => Promise<void>
  /** Handler runs and late replies still in progress. */
  readonly pending: number
}

const DEADLINE = Symbol('deadline')

type OwnerClaim = Extract<Claim, { role: 'owner' }>
type JoinerClaim = Extract<Claim, { role: 'joiner' }>

/** Resolves with `DEADLINE` after `ms` unless `work` settles first; the timer never outlives the race. */
async function raceDeadline<T> (work: Promise<T>, ms: number): Promise<T | typeof DEADLINE> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<typeof DEADLINE>((resolve) => { timer = setTimeout(resolve, ms, DEADLINE) })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * From validated message to answer: dedup, pick the handler, race it against the reply deadline, and switch to
 * the active path when it is late. The passive-or-active decision is taken once per message, at the first copy's
 * deadline, so a fan never gets the same reply both ways.
 */
export function createDispatcher (options: DispatcherOptions): Dispatcher {
  const { store, logger } = options
  const turns = options.turns ?? createFanTurns({
    router: options.router,
    middleware: [],
    sessions: createMemorySessionStore(DEFAULT_SESSIONS),
    queue: createMemoryFanQueue(),
    api: options.api,
    logger,
    handlerTimeoutMs: options.handlerTimeoutMs,
    onHandlerRun: options.onHandlerRun,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics })
  })
  const work = createWorkTracker()
  const shutdown = new AbortController()
  // Every running handler listens for shutdown on this one signal: hundreds at once is normal, not a leak.
  setMaxListeners(0, shutdown.signal)

  function passiveOutcome (result: RunResult, message: Message): Pick<DispatchResult, 'outcome' | 'body'> {
    if (result.status === 'error') return { outcome: 'failed', body: '' }
    if (result.status === 'none') return { outcome: 'blank', body: '' }
    return {
      outcome: 'passive',
      body: passiveReplyBody({ reply: result.reply, accountId: message.receiver_id, fanId: message.sender_id })
    }
  }

  /** A dispatch result, built directly (no spreads): one object per push. */
  function result (outcome: Outcome, body: string, key: string, handler?: string): DispatchResult {
    const built: DispatchResult = { outcome, body, dedupKey: key }
    if (handler !== undefined) built.handler = handler
    return built
  }

  /**
   * A turn that ended before the deadline: its reply goes in the response body, or (a text split in several
   * messages, which cannot be one body) every part goes active, in order.
   */
  function answered (message: Message, key: string, claim: OwnerClaim, first: TurnResult, receivedAt: number): DispatchResult {
    if (first.run.status === 'reply' && replyParts(first.run.reply).length > 1) {
      claim.settle('')
      work.track(options.lateReply.send({ message, reply: first.run.reply, handler: first.handler ?? '', dedupKey: key, receivedAt }))
      return result('active', '', key, first.handler)
    }
    const answer = passiveOutcome(first.run, message)
    claim.settle(answer.body)
    return result(answer.outcome, answer.body, key, first.handler)
  }

  /**
   * What is left of the reply deadline, which counts from the push's arrival: Weibo's 5 s do. The claim before it
   * takes a Redis round trip, and up to the command timeout (500 ms) when Redis stalls; a deadline started after the
   * claim answered that much later, past Weibo's window at REPLY_DEADLINE_MS=4900.
   */
  function timeLeft (arrivedAt: number): number {
    return Math.min(options.replyDeadlineMs, Math.max(0, options.replyDeadlineMs - (performance.now() - arrivedAt)))
  }

  /** A turn that returned a promise: raced against the reply deadline, and handed to the late path when it misses it. */
  async function answeredInTime (message: Message, key: string, claim: OwnerClaim, turn: Promise<TurnResult>, receivedAt: number, arrivedAt: number): Promise<DispatchResult> {
    const first = await raceDeadline(turn, timeLeft(arrivedAt))
    if (first !== DEADLINE) return answered(message, key, claim, first, receivedAt)
    claim.settle('')
    options.metrics?.deadlineHandoffs.inc()
    work.track(turn.then(async (result) => {
      if (result.run.status === 'reply') {
        await options.lateReply.send({ message, reply: result.run.reply, handler: result.handler ?? '', dedupKey: key, receivedAt })
      } else {
        options.metrics?.lateReplies.inc({ outcome: 'none', account: options.accountLabel?.(message.receiver_id) ?? 'default' })
      }
    }))
    // Which handler runs is known only once its turn came and the session is loaded: the late reply's log names it.
    return result('active', '', key)
  }

  function joined (claim: JoinerClaim, key: string, arrivedAt: number): DispatchResult | Promise<DispatchResult> {
    options.metrics?.duplicates.inc({ kind: claim.settled ? 'replayed' : 'joined' })
    // Answered already: replayed at once, without a deadline race (a timer and two promises per retry).
    return claim.settled ? result('duplicate', claim.answer, key) : joinedInTime(claim, key, arrivedAt)
  }

  async function joinedInTime (claim: Extract<JoinerClaim, { settled: false }>, key: string, arrivedAt: number): Promise<DispatchResult> {
    // The owner decides within its own deadline; ours is only a guard against an owner that never settles.
    const answer = await raceDeadline(claim.answer, timeLeft(arrivedAt))
    return result('duplicate', answer === DEADLINE ? '' : answer, key)
  }

  function afterClaim (message: Message, key: string, claim: Claim, receivedAt: number, arrivedAt: number): DispatchResult | Promise<DispatchResult> {
    if (claim.role === 'joiner') return joined(claim, key, arrivedAt)
    // Not awaited: a reply to this fan waits for it inside the quota, so the push's own latency does not.
    options.quota?.record(message) // never rejects; in memory it is done before it returns
    // Nothing could take it (no middleware, no handler naming its type): no turn, no session, blank at once.
    if (!turns.wanted(message)) {
      claim.settle('')
      return result('blank', '', key)
    }
    // The turn includes the wait for the fan's earlier pushes: it counts against the deadline like a slow handler.
    const outcome = turns.run({ message, dedupKey: key, shutdownSignal: shutdown.signal })
    // A run that answered synchronously (no session, no middleware, a synchronous handler) is done: nothing to
    // track, no deadline to race (a timer per push). Only a run that returned a promise can miss the deadline.
    return outcome instanceof Promise
      ? answeredInTime(message, key, claim, work.track(outcome), receivedAt, arrivedAt)
      : answered(message, key, claim, outcome, receivedAt)
  }

  /**
   * Synchronous from the claim to the answer when nothing waits (the memory store, no session, a synchronous
   * handler): no promise, no microtask per push. Every async step on the way makes it a promise.
   */
  function dispatch (message: Message, dispatchOptions?: DispatchOptions): DispatchResult | Promise<DispatchResult> {
    const receivedAt = dispatchOptions?.receivedAt ?? Date.now()
    const arrivedAt = dispatchOptions?.arrivedAt ?? performance.now()
    const key = dedupKey(message)
    const claimed = store.claim(key, dispatchOptions?.sighting)
    return claimed instanceof Promise
      ? claimed.then((claim) => heldAfterClaim(message, key, claim, receivedAt, arrivedAt))
      : heldAfterClaim(message, key, claimed, receivedAt, arrivedAt)
  }

  /**
   * An owner whose answer is still to come when this returns (a promise) is in flight from now on: retries arriving
   * meanwhile must join it. Told before anything else can run, so none slips through; settled ones need nothing.
   */
  function heldAfterClaim (message: Message, key: string, claim: Claim, receivedAt: number, arrivedAt: number): DispatchResult | Promise<DispatchResult> {
    const answer = afterClaim(message, key, claim, receivedAt, arrivedAt)
    if (answer instanceof Promise && claim.role === 'owner') claim.hold?.()
    return answer
  }

  return {
    dispatch,
    get pending () { return work.size },
    idle: async () => { await work.idle() },
    async drain (timeoutMs) {
      const finished = await raceDeadline(work.idle(), timeoutMs)
      if (finished !== DEADLINE) return true
      shutdown.abort()
      logger.warn({ pending: work.size, timeoutMs }, 'shutdown grace period ended with handlers or late replies still running; they were abandoned')
      return false
    }
  }
}

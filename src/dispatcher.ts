import { setMaxListeners } from 'node:events'
import type { DedupStore } from './dedup/dedup-store.ts'
import { dedupKey } from './dedup/dedup-key.ts'
import type { HandlerRouter } from './handler-router.ts'
import { runHandler, type RunResult } from './handler-runner.ts'
import type { Logger } from './logger.ts'
import type { Message } from './message-schema.ts'
import { passiveReplyBody } from './reply-encoding.ts'
import { replyParts } from './reply.ts'
import type { ReplyQuota } from './reply-quota/reply-quota.ts'
import type { LateReplySender } from './late-reply.ts'
import type { Metrics } from './metrics.ts'
import type { WeiboApiClient } from './weibo-api/client.ts'
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
  /** Told of every new push (not Weibo's retries), so the fan's reply window opens before any reply. */
  quota?: ReplyQuota | undefined
  logger: Logger
  replyDeadlineMs: number
  handlerTimeoutMs: number
  metrics?: Metrics
}

export interface Dispatcher {
  dispatch: (message: Message) => Promise<DispatchResult>
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
  const { router, store, logger } = options
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

  async function dispatch (message: Message): Promise<DispatchResult> {
    const key = dedupKey(message)
    const claimed = store.claim(key)
    const claim = claimed instanceof Promise ? await claimed : claimed // the memory store answers at once: no extra turn
    if (claim.role === 'joiner') {
      options.metrics?.duplicates.inc({ kind: claim.settled ? 'replayed' : 'joined' })
      // The owner decides within its own deadline; ours is only a guard against an owner that never settles.
      const answer = await raceDeadline(claim.answer, options.replyDeadlineMs)
      return { outcome: 'duplicate', body: answer === DEADLINE ? '' : answer, dedupKey: key }
    }

    // Not awaited: a reply to this fan waits for it inside the quota, so the push's own latency does not.
    options.quota?.record(message) // never rejects; in memory it is done before it returns
    const handler = router.select(message)
    if (handler === undefined) {
      claim.settle('')
      return { outcome: 'blank', body: '', dedupKey: key }
    }

    const outcome = runHandler({
      handler,
      message,
      dedupKey: key,
      timeoutMs: options.handlerTimeoutMs,
      shutdownSignal: shutdown.signal,
      api: options.api,
      logger,
      ...(options.metrics === undefined ? {} : { metrics: options.metrics })
    })
    // A handler that answered synchronously is done: nothing to track, no deadline to race (a timer per push).
    const run = outcome instanceof Promise ? work.track(outcome) : undefined
    const first = run === undefined ? outcome as RunResult : await raceDeadline(run, options.replyDeadlineMs)
    if (first !== DEADLINE && first.status === 'reply' && replyParts(first.reply).length > 1) {
      // A text split in several messages cannot be one response body: every part goes active, in order.
      claim.settle('')
      work.track(options.lateReply.send({ message, reply: first.reply, handler: handler.name, dedupKey: key }))
      return { outcome: 'active', body: '', dedupKey: key, handler: handler.name }
    }
    if (first !== DEADLINE) {
      const answer = passiveOutcome(first, message)
      claim.settle(answer.body)
      return { ...answer, dedupKey: key, handler: handler.name }
    }

    claim.settle('')
    options.metrics?.deadlineHandoffs.inc()
    // (Only a run that returned a promise can miss the deadline: `run` is set here.)
    if (run !== undefined) {
      work.track(run.then(async (result) => {
        if (result.status === 'reply') {
          await options.lateReply.send({ message, reply: result.reply, handler: handler.name, dedupKey: key })
        }
      }))
    }
    return { outcome: 'active', body: '', dedupKey: key, handler: handler.name }
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

import { FanbotError, isFanbotError } from '../errors.ts'
import type { HandlerResult, LoadedHandler, MatchContext } from '../handler.ts'
import type { AccountApis } from '../account-apis.ts'
import { servesAccount } from '../handler-accounts.ts'
import type { HandlerRouter } from '../handler-router.ts'
import { runHandler, type HandlerRun, type RunResult } from '../handler-runner.ts'
import type { Logger } from '../logger.ts'
import type { Message } from '../message-schema.ts'
import type { Metrics } from '../metrics.ts'
import { runMiddlewareChain, type LoadedMiddleware } from '../middleware.ts'
import type { WeiboApiClient } from '../weibo-api/client.ts'
import { createdAtMs, type FanQueue, type LeaveTurn } from './fan-queue.ts'
import { withApplied, type SessionData, type SessionStore, type StoredSession } from './session-store.ts'

export interface FanTurnsOptions {
  router: HandlerRouter
  /** In running order (see `orderMiddleware`). */
  middleware: readonly LoadedMiddleware[]
  sessions: SessionStore
  queue: FanQueue
  api: WeiboApiClient
  /** Several accounts: `ctx.api` is the client of the push's account (default: `api` for every push). */
  apis?: AccountApis
  logger: Logger
  handlerTimeoutMs: number
  metrics?: Metrics
  /** Told of every handler run as it ends (the test kit reports which handler failed, and why). */
  onHandlerRun?: ((run: HandlerRun) => void) | undefined
}

export interface TurnInput {
  message: Message
  dedupKey: string
  /** Aborted when shutdown's grace period ends: a push still waiting for its turn gives up. */
  shutdownSignal: AbortSignal
}

export interface TurnResult {
  run: RunResult
  /** The handler that ran, or the middleware that answered without calling `next`. */
  handler?: string
}

export interface FanTurns {
  /** False when no middleware is loaded and no handler names this push's type: it needs no turn and no session. */
  wanted: (message: Message) => boolean
  /**
   * Runs middleware and handler. When a module that could take the push declares `session: true`, first waits for
   * the fan's turn and loads his session, and saves it after. Never rejects. The result is synchronous when nothing
   * waited: no session, no middleware, and a handler that answered synchronously.
   */
  run: (input: TurnInput) => TurnResult | Promise<TurnResult>
}

const message = (error: unknown): string => error instanceof Error ? error.message : String(error)

function undeclared (): never {
  throw new FanbotError('WEIBO_ERR_SESSION_UNDECLARED')
}

/**
 * `ctx.session` of a push that has no session (no module that could take it declares `session: true`): reading,
 * testing or writing a key of it fails the run with a clear error, rather than handing out an empty session that
 * would silently not be kept, or be kept without the fan's turn. What serialisers and inspectors ask of any object
 * (`toJSON`, symbols, its keys) is answered as by an empty object, so that logging or spreading `ctx` stays harmless.
 */
const UNDECLARED_SESSION: SessionData = new Proxy({}, {
  get: (_target, key) => typeof key === 'symbol' || key === 'toJSON' || key === 'then' ? undefined : undeclared(),
  has: (_target, key) => typeof key === 'symbol' ? false : undeclared(),
  set: () => undeclared(),
  defineProperty: () => undeclared(),
  deleteProperty: () => undeclared()
})
/** The holder the runner reads and writes `ctx.session` through; replacing the whole session fails the same way. */
const NO_SESSION: { value: SessionData } = Object.freeze({ get value (): SessionData { return UNDECLARED_SESSION }, set value (_value: SessionData) { undeclared() } })
/** What a `match` function gets on a push without a session. */
const NO_MATCH_SESSION: MatchContext = Object.freeze({ session: UNDECLARED_SESSION })

/** The key of a fan's session and turn: one per receiving account and fan. */
export function fanKeyOf (push: Message): string {
  return `${push.receiver_id}:${push.sender_id}`
}

/**
 * One push's turn, from the fan's queue to the saved session. The session is saved only when the run succeeded and
 * changed it, together with the push's dedup key (compare-and-set on its version): a push whose key the session
 * already holds was applied before (a retry that outlived its dedup entry, or a replica that died after saving) and
 * does not run again. Redis failures never drop a push: it runs without its turn or with an empty session, unsaved.
 */
export function createFanTurns (options: FanTurnsOptions): FanTurns {
  const { router, middleware, sessions, logger } = options
  // Middleware limited to some accounts (`accounts`) run only for those accounts' pushes.
  const filtered = middleware.some((item) => item.accounts !== undefined)
  const middlewareFor = (push: Message): readonly LoadedMiddleware[] => filtered ? middleware.filter((item) => servesAccount(item, push)) : middleware

  async function enter (input: TurnInput, fanKey: string): Promise<LeaveTurn> {
    const started = performance.now()
    try {
      const leave = await options.queue.enter({ fanKey, createdAtMs: createdAtMs(input.message.created_at), signal: input.shutdownSignal })
      options.metrics?.fanQueueWait.observe((performance.now() - started) / 1000)
      return leave
    } catch (error) {
      if (input.shutdownSignal.aborted) throw error
      options.metrics?.storeErrors.inc({ operation: 'fan-queue' })
      logger.warn({ session: { fanKey, dedupKey: input.dedupKey, error: message(error) } }, 'fan queue unavailable: handling the push without waiting for the fan\'s turn')
      return () => {}
    }
  }

  async function load (input: TurnInput, fanKey: string): Promise<StoredSession | undefined> {
    try {
      return await sessions.load(fanKey)
    } catch (error) {
      options.metrics?.storeErrors.inc({ operation: 'session-load' })
      logger.warn({ err: new FanbotError('WEIBO_ERR_SESSION_UNAVAILABLE', { detail: 'load', cause: error }), session: { fanKey, dedupKey: input.dedupKey } },
        'session store unavailable: the push runs with an empty session that will not be saved')
      return undefined
    }
  }

  async function save (input: TurnInput, fanKey: string, stored: StoredSession, session: SessionData): Promise<void> {
    let json: string
    try {
      json = JSON.stringify(session)
    } catch (error) {
      logger.error({ err: error, session: { fanKey, dedupKey: input.dedupKey } }, 'ctx.session is not JSON-serialisable; it was not saved')
      return
    }
    if (json === stored.json) return
    try {
      const saved = await sessions.save({ key: fanKey, expectedVersion: stored.version, json, applied: withApplied(stored.applied, input.dedupKey) })
      options.metrics?.sessionWrites.inc({ result: saved ? 'saved' : 'conflict' })
      if (!saved) logger.warn({ err: new FanbotError('WEIBO_ERR_SESSION_CONFLICT'), session: { fanKey, dedupKey: input.dedupKey } }, 'session changed by another run; this change was dropped')
    } catch (error) {
      options.metrics?.storeErrors.inc({ operation: 'session-save' })
      logger.warn({ err: new FanbotError('WEIBO_ERR_SESSION_UNAVAILABLE', { detail: 'save', cause: error }), session: { fanKey, dedupKey: input.dedupKey } }, 'session change not saved')
    }
  }

  /** The handler's own errors are named here, so the middleware around it do not take them for theirs. */
  async function callHandler (handler: LoadedHandler, push: Message, ctx: Parameters<LoadedHandler['handle']>[1]): Promise<HandlerResult> {
    try {
      return await handler.handle(push, ctx)
    } catch (error) {
      if (isFanbotError(error, 'WEIBO_ERR_HANDLER_TIMEOUT')) throw error
      throw new FanbotError('WEIBO_ERR_HANDLER_THREW', { detail: `${handler.name}: ${message(error)}`, cause: error })
    }
  }

  /** What the runner runs: the handler alone, or the middleware chain that ends by picking the handler. */
  function runnable (push: Message, holder: { value: SessionData } | undefined): { target: LoadedHandler | undefined, answeredBy: () => string | undefined } {
    const matchContext = (ctx: { session: SessionData }): MatchContext => holder === undefined ? NO_MATCH_SESSION : { session: ctx.session }
    const chain = middlewareFor(push)
    if (chain.length === 0) {
      const handler = router.select(push, holder === undefined ? NO_MATCH_SESSION : { session: holder.value })
      return { target: handler, answeredBy: () => handler?.name }
    }
    let selected: LoadedHandler | undefined
    let reachedEnd = false
    let lastEntered: string | undefined
    const name = (): string | undefined => reachedEnd ? selected?.name : lastEntered
    const target: LoadedHandler = {
      get name () { return name() ?? 'middleware' },
      file: chain[0]?.file ?? '',
      triggers: [],
      priority: 0,
      order: 0,
      session: holder !== undefined,
      match: undefined,
      handle: async (_message, ctx) => await runMiddlewareChain({
        middleware: chain,
        message: push,
        ctx,
        onEnter: (entered) => { lastEntered = entered },
        last: async () => {
          reachedEnd = true
          // Picked after the middleware ran: they may have changed the session a `match` reads.
          selected = router.select(push, matchContext(ctx))
          return selected === undefined ? undefined : await callHandler(selected, push, ctx)
        }
      })
    }
    return { target, answeredBy: name }
  }

  /** The rule of docs/handlers.md, "Sessions and conversations": who gets a session, and the fan's turn with it. */
  const needsSession = (push: Message): boolean => middlewareFor(push).some((item) => item.session) || router.candidateNeedsSession(push)

  function runTarget (input: TurnInput, target: LoadedHandler, session: { value: SessionData }): RunResult | Promise<RunResult> {
    return runHandler({
      handler: target,
      message: input.message,
      dedupKey: input.dedupKey,
      timeoutMs: options.handlerTimeoutMs,
      shutdownSignal: input.shutdownSignal,
      api: options.apis?.for(input.message.receiver_id) ?? options.api,
      logger,
      session,
      onRun: options.onHandlerRun,
      metrics: options.metrics // not spread in: one object per push, not two
    })
  }

  /** A push no declaring module could take: no turn, no session; synchronous when the handler is. */
  function runWithoutSession (input: TurnInput): TurnResult | Promise<TurnResult> {
    if (middlewareFor(input.message).length === 0) return runHandlerAlone(input)
    const { target, answeredBy } = runnable(input.message, undefined)
    if (target === undefined) return { run: { status: 'none', durationMs: 0 } }
    const outcome = runTarget(input, target, NO_SESSION)
    const named = (run: RunResult): TurnResult => {
      const handler = answeredBy()
      return handler === undefined ? { run } : { run, handler }
    }
    return outcome instanceof Promise ? outcome.then(named) : named(outcome)
  }

  /** The usual push: no middleware, no session; its handler alone, picked and run without a closure. */
  function runHandlerAlone (input: TurnInput): TurnResult | Promise<TurnResult> {
    const handler = router.select(input.message, NO_MATCH_SESSION)
    if (handler === undefined) return { run: { status: 'none', durationMs: 0 } }
    const outcome = runTarget(input, handler, NO_SESSION)
    return outcome instanceof Promise ? outcome.then((run) => ({ run, handler: handler.name })) : { run: outcome, handler: handler.name }
  }

  return {
    wanted: (push) => middlewareFor(push).length > 0 || router.hasCandidate(push),
    run: (input) => needsSession(input.message) ? runInTurn(input) : runWithoutSession(input)
  }

  /** Waits for the fan's turn, loads his session, runs, saves the session when the run changed it. */
  async function runInTurn (input: TurnInput): Promise<TurnResult> {
    const fanKey = fanKeyOf(input.message)
    let leave: LeaveTurn
    try {
      leave = await enter(input, fanKey)
    } catch (error) {
      const failure = isFanbotError(error) ? error : new FanbotError('WEIBO_ERR_HANDLER_TIMEOUT', { detail: 'shutting down while waiting for the fan\'s turn', cause: error })
      return { run: { status: 'error', error: failure, durationMs: 0 } }
    }
    try {
      const stored = await load(input, fanKey)
      if (stored?.applied.includes(input.dedupKey) === true) {
        options.metrics?.sessionWrites.inc({ result: 'skipped' })
        logger.info({ session: { fanKey, dedupKey: input.dedupKey } }, 'push already applied to the fan\'s session (a retry that outlived its dedup entry): not run again')
        return { run: { status: 'none', durationMs: 0 } }
      }
      const holder = { value: JSON.parse(stored?.json ?? '{}') as SessionData }
      const { target, answeredBy } = runnable(input.message, holder)
      if (target === undefined) return { run: { status: 'none', durationMs: 0 } }
      const run = await runTarget(input, target, holder)
      if (run.status !== 'error' && stored !== undefined) await save(input, fanKey, stored, holder.value)
      const handler = answeredBy()
      return handler === undefined ? { run } : { run, handler }
    } finally {
      leave()
    }
  }
}

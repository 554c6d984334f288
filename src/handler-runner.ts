import { FanbotError } from './errors.ts'
import type { AnyMessage, LoadedHandler } from './handler.ts'
import { RunContext } from './handler-context.ts'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import { validateReply, type ValidReply } from './reply.ts'
import type { WeiboApiClient } from './weibo-api/client.ts'
import type { SessionData } from './session/session-store.ts'

/** How a handler run ended. A run never rejects: failures come back as `error`, already logged. */
export type RunResult =
  | { status: 'reply', reply: ValidReply, durationMs: number }
  | { status: 'none', durationMs: number }
  | { status: 'error', error: FanbotError, durationMs: number }

/** One handler run as it ended, told to whoever watches the bot (the test kit, `weibo-fanbot chat`). */
export interface HandlerRun {
  handler: string
  file: string
  dedupKey: string
  result: RunResult
}

export interface RunHandlerInput {
  handler: LoadedHandler
  message: AnyMessage
  dedupKey: string
  timeoutMs: number
  /** Aborted when shutdown's grace period ends. */
  shutdownSignal: AbortSignal
  api: WeiboApiClient
  logger: Logger
  metrics?: Metrics | undefined
  onRun?: ((run: HandlerRun) => void) | undefined
  /**
   * Holds the fan's session, read and written as `ctx.session` (a handler may replace the whole object, which is
   * why it is a holder; see session/fan-turn.ts). A fresh empty one when not given.
   */
  session?: { value: SessionData }
}

const ALREADY_NAMED = new Set(['WEIBO_ERR_HANDLER_TIMEOUT', 'WEIBO_ERR_REPLY_INVALID', 'WEIBO_ERR_HANDLER_THREW', 'WEIBO_ERR_MIDDLEWARE_THREW'])

function abortReason (signal: AbortSignal): FanbotError {
  const reason: unknown = signal.reason
  return reason instanceof FanbotError ? reason : new FanbotError('WEIBO_ERR_HANDLER_TIMEOUT', { detail: 'shutting down', cause: reason })
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Runs one handler with a hard deadline (`timeoutMs`, or shutdown): the context's signal fires, and the run is
 * abandoned as `WEIBO_ERR_HANDLER_TIMEOUT` even if the handler ignores the signal. The return value is validated
 * so that an invalid reply can never reach Weibo.
 *
 * A handler that answers synchronously (keyword replies, most of the shipped examples) gets its result back
 * synchronously: no timer, no shutdown listener, no race. It has finished before either could fire, and those
 * cost more than such a handler does (bench/README.md, "What each change bought"). Only a returned promise gets
 * the deadline machinery. Callers `await` the result either way, or skip their own deadline race when it is not
 * a promise (the dispatcher does).
 */
function runOnce (input: RunHandlerInput): RunResult | Promise<RunResult> {
  const { handler, message } = input
  const started = performance.now()
  const ctx = new RunContext({ handler, message, dedupKey: input.dedupKey, api: input.api, logger: input.logger, session: input.session ?? { value: {} } })
  let returned: unknown
  try {
    if (input.shutdownSignal.aborted) throw abortReason(input.shutdownSignal) // shutdown's grace is over: no new work
    returned = handler.handle(message, ctx)
  } catch (error) {
    return failed(input, ctx, started, error)
  }
  if (!isThenable(returned)) return finished(input, ctx, started, returned)

  let stop: ((reason: FanbotError) => void) | undefined
  const stopped = new Promise<never>((_resolve, reject) => {
    stop = (reason) => { if (RunContext.stop(ctx, reason)) reject(reason) }
  })
  stopped.catch(() => {}) // the race below observes it; this keeps a late stop from being "unhandled"
  const timer = setTimeout(() => {
    stop?.(new FanbotError('WEIBO_ERR_HANDLER_TIMEOUT', { detail: `${handler.name} after ${input.timeoutMs} ms` }))
  }, input.timeoutMs)
  const onShutdown = (): void => { stop?.(abortReason(input.shutdownSignal)) }
  input.shutdownSignal.addEventListener('abort', onShutdown, { once: true })
  return Promise.race([returned, stopped]).then((value) => finished(input, ctx, started, value), (error: unknown) => failed(input, ctx, started, error)).finally(() => {
    clearTimeout(timer)
    input.shutdownSignal.removeEventListener('abort', onShutdown)
  })
}

const elapsedSince = (started: number): number => Math.round(performance.now() - started)

function failed (input: RunHandlerInput, ctx: RunContext, started: number, error: unknown): RunResult {
  const { handler } = input
  // A middleware chain (session/fan-turn.ts) names whose error it was already.
  const failure = error instanceof FanbotError && ALREADY_NAMED.has(error.code)
    ? error
    : new FanbotError('WEIBO_ERR_HANDLER_THREW', { detail: `${handler.name}: ${error instanceof Error ? error.message : String(error)}`, cause: error })
  ctx.log.error({ err: failure, handler: handler.name, file: handler.file }, `handler ${handler.name} failed: ${failure.code}`)
  return { status: 'error', error: failure, durationMs: elapsedSince(started) }
}

/** The return value is validated so that an invalid reply can never reach Weibo. */
function finished (input: RunHandlerInput, ctx: RunContext, started: number, returned: unknown): RunResult {
  try {
    const reply = validateReply(returned)
    return reply === undefined ? { status: 'none', durationMs: elapsedSince(started) } : { status: 'reply', reply, durationMs: elapsedSince(started) }
  } catch (error) {
    return failed(input, ctx, started, error)
  }
}

/**
 * Runs one handler (see `runOnce`) and records its duration by handler and status. The result is a promise only
 * when the handler returned one: `await` it either way.
 */
export function runHandler (input: RunHandlerInput): RunResult | Promise<RunResult> {
  const outcome = runOnce(input)
  return outcome instanceof Promise ? outcome.then((result) => observed(input, result)) : observed(input, outcome)
}

function observed (input: RunHandlerInput, result: RunResult): RunResult {
  input.metrics?.handlerDuration.observe({ handler: input.handler.name, status: result.status }, result.durationMs / 1000)
  input.onRun?.({ handler: input.handler.name, file: input.handler.file, dedupKey: input.dedupKey, result })
  return result
}

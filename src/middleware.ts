import path from 'node:path'
import { z } from 'zod'
import { describeZodError } from './describe-zod-error.ts'
import { didYouMean } from './did-you-mean.ts'
import { FanbotError, isFanbotError } from './errors.ts'
import type { HandlerContext, HandlerResult } from './handler.ts'
import type { Message } from './message-schema.ts'

/** Runs the rest of the chain (later middleware, then the handler) and resolves with its reply. */
export type NextFunction = () => Promise<HandlerResult>

/**
 * Code that runs around the handlers for every fan push (not for push stream records): it can answer and stop (by
 * returning a reply without calling `next`), enrich `ctx` (`ctx.state`, `ctx.session`), or observe (`await next()`).
 * A middleware that calls `next` and returns nothing passes the handler's reply on.
 */
export interface Middleware {
  /** Shown in logs; defaults to the file name. */
  name?: string
  /** Higher runs first (outermost); ties go by file name. */
  priority?: number
  /**
   * True when `use` reads or writes `ctx.session`: every fan push then loads the fan's session and takes his turn.
   * Without it, `ctx.session` throws `WEIBO_ERR_SESSION_UNDECLARED` on a push no declaring handler could take.
   */
  session?: boolean
  /** Only pushes to these accounts (uids of WEIBO_ACCOUNTS_FILE); absent: every account. */
  accounts?: readonly string[]
  // Method syntax, like Handler.handle: checked bivariantly.
  use (message: Message, ctx: HandlerContext, next: NextFunction): HandlerResult | Promise<HandlerResult>
}

/** Identity helper: it only adds types, so `export default defineMiddleware({ use: async (m, ctx, next) => … })`. */
export function defineMiddleware (middleware: Middleware): Middleware {
  return middleware
}

/** A middleware as loaded: normalised, with where it came from. */
export interface LoadedMiddleware {
  name: string
  file: string
  priority: number
  /** Load order (file name order, then position in the file's array). */
  order: number
  /** Declared `session: true`. */
  session: boolean
  /** Only pushes to these accounts; undefined: every account. */
  accounts?: readonly string[] | undefined
  use: Middleware['use']
}

const isFunction = (value: unknown): value is (...args: unknown[]) => unknown => typeof value === 'function'

const MIDDLEWARE_KEYS = ['name', 'priority', 'session', 'accounts', 'use'] as const

/** A handler's or middleware's `accounts`: uids (checked against WEIBO_ACCOUNTS_FILE when the app is built). */
export const AccountsFilterSchema = z.array(z.string().regex(/^\d{1,20}$/, 'must be an account uid (digits, as a string)'))
  .min(1, 'must list at least one account uid (leave the key out for every account)').optional()

/** The shape a middleware module's default export (or array item) must have; strict, like a handler's. */
export const MiddlewareShape = z.strictObject({
  name: z.string().min(1).optional(),
  priority: z.number().finite().optional(),
  session: z.boolean().optional(),
  accounts: AccountsFilterSchema,
  use: z.custom(isFunction, 'must be a function (message, ctx, next) => reply')
}, {
  error: (issue) => issue.code === 'unrecognized_keys'
    ? issue.keys.map((key) => {
      const suggestion = didYouMean(key, MIDDLEWARE_KEYS)
      return `unknown key "${key}"${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`
    }).join('; ') + `; a middleware has only ${MIDDLEWARE_KEYS.join(', ')}`
    : undefined
})

/** An exported object is a middleware when it has `use` and no `handle` (which would make it a handler). */
export function isMiddlewareExport (value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'use' in value && !('handle' in value)
}

/** Validates one middleware export; a mistake is a string saying what is wrong (the loader names the file). */
export function normaliseMiddleware (input: { file: string, exported: unknown, index: number | undefined, order: number }): LoadedMiddleware | string {
  const parsed = MiddlewareShape.safeParse(input.exported)
  if (!parsed.success) return describeZodError(parsed.error)
  const base = path.basename(input.file).replace(/\.(ts|js|mjs)$/, '')
  return {
    name: parsed.data.name ?? (input.index === undefined ? base : `${base}#${input.index}`),
    file: input.file,
    priority: parsed.data.priority ?? 0,
    order: input.order,
    session: parsed.data.session ?? false,
    ...(parsed.data.accounts === undefined ? {} : { accounts: parsed.data.accounts }),
    use: parsed.data.use as Middleware['use']
  }
}

/** Middleware in the order they run: higher priority first, then load order. */
export function orderMiddleware (middleware: readonly LoadedMiddleware[]): LoadedMiddleware[] {
  return [...middleware].sort((a, b) => b.priority - a.priority || a.order - b.order)
}

/** Errors that already say whose they are: passed through the chain unchanged. */
const NAMED_FAILURES = new Set(['WEIBO_ERR_HANDLER_THREW', 'WEIBO_ERR_HANDLER_TIMEOUT', 'WEIBO_ERR_REPLY_INVALID', 'WEIBO_ERR_MIDDLEWARE_THREW'])

function middlewareFailure (name: string, error: unknown): FanbotError {
  if (isFanbotError(error) && NAMED_FAILURES.has(error.code)) return error
  return new FanbotError('WEIBO_ERR_MIDDLEWARE_THREW', { detail: `${name}: ${error instanceof Error ? error.message : String(error)}`, cause: error })
}

export interface ChainInput {
  /** In running order (see `orderMiddleware`). */
  middleware: readonly LoadedMiddleware[]
  message: Message
  ctx: HandlerContext
  /** The end of the chain: picks and runs the handler. */
  last: () => Promise<HandlerResult>
  /** Told the name of each middleware as it starts (the one that stopped the chain is the last told). */
  onEnter?: (name: string) => void
}

/** Runs the middleware chain around `last`. A middleware's error becomes WEIBO_ERR_MIDDLEWARE_THREW with its name. */
export async function runMiddlewareChain (input: ChainInput): Promise<HandlerResult> {
  const { middleware, message, ctx } = input
  async function step (index: number): Promise<HandlerResult> {
    const current = middleware[index]
    if (current === undefined) return await input.last()
    input.onEnter?.(current.name)
    let called = false
    let downstream: HandlerResult
    const next: NextFunction = async () => {
      if (called) throw new Error('next() called twice')
      called = true
      downstream = await step(index + 1)
      return downstream
    }
    try {
      const result = await current.use(message, ctx, next)
      return result === undefined && called ? downstream : result
    } catch (error) {
      throw middlewareFailure(current.name, error)
    }
  }
  return await step(0)
}

import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { z } from 'zod'
import { didYouMean } from './did-you-mean.ts'
import { FanbotError } from './errors.ts'
import { describeZodError } from './describe-zod-error.ts'
import type { LoadedHandler, Trigger } from './handler.ts'
import { EVENT_SUBTYPES, MENTION_SUBTYPES, MESSAGE_TYPES } from './message-schema.ts'
import { AccountsFilterSchema, isMiddlewareExport, normaliseMiddleware, type LoadedMiddleware } from './middleware.ts'
import { STREAM_TYPES } from './push-stream/stream-message.ts'

const TRIGGERS: readonly string[] = [
  ...MESSAGE_TYPES,
  ...EVENT_SUBTYPES.map((subtype) => `event:${subtype}`),
  ...MENTION_SUBTYPES.map((subtype) => `mention:${subtype}`),
  ...STREAM_TYPES,
  '*'
]

const TriggerSchema = z.string().refine((trigger) => TRIGGERS.includes(trigger), {
  error: (issue) => {
    const suggestion = typeof issue.input === 'string' ? didYouMean(issue.input, TRIGGERS) : undefined
    return `unknown trigger ${JSON.stringify(issue.input)}${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}; ` +
      `use one of ${TRIGGERS.join(', ')}`
  }
})

const isFunction = (value: unknown): value is (...args: unknown[]) => unknown => typeof value === 'function'

const HANDLER_KEYS = ['name', 'on', 'match', 'priority', 'session', 'accounts', 'handle'] as const

function unknownKeys (keys: readonly string[]): string {
  return keys.map((key) => {
    const suggestion = didYouMean(key, HANDLER_KEYS)
    return `unknown key "${key}"${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`
  }).join('; ') + `; a handler has only ${HANDLER_KEYS.join(', ')}`
}

/** Strict: a mistyped key (`macth`) must not be dropped, or the handler would silently answer everything. */
const HandlerShape = z.strictObject({
  name: z.string().min(1).optional(),
  on: z.union([TriggerSchema, z.array(TriggerSchema).min(1, 'must list at least one trigger')], {
    error: (issue) => issue.input === undefined ? 'is required: a trigger such as \'text\' or a list of them' : undefined
  }),
  match: z.union([z.string(), z.instanceof(RegExp), z.custom(isFunction)], 'must be a string, a RegExp or a function').optional(),
  priority: z.number().finite().optional(),
  session: z.boolean().optional(),
  accounts: AccountsFilterSchema,
  handle: z.custom(isFunction, 'must be a function (message, ctx) => reply')
}, {
  error: (issue) => issue.code === 'unrecognized_keys' ? unknownKeys(issue.keys) : undefined
})

/** The shape every mistake about it is answered with. */
const SHAPE_HINT = "write `export default { on: 'text', handle (message, ctx) { return text('…') } }`"

const HANDLER_FILE = /\.(ts|js|mjs)$/
const SKIPPED_FILE = /^[._]|\.(test|spec)\.[a-z]+$|\.d\.ts$/

/** Which files of a folder are handler modules: `.ts`, `.js`, `.mjs`, not `_x`/`.x`, not tests or declarations. */
export function isHandlerFile (fileName: string): boolean {
  return HANDLER_FILE.test(fileName) && !SKIPPED_FILE.test(fileName)
}

/** One thing wrong with one handler file (or one entry of its array). */
interface Problem {
  code: 'WEIBO_ERR_HANDLER_INVALID' | 'WEIBO_ERR_HANDLER_IMPORT_FAILED'
  where: string
  detail: string
  cause?: unknown
}

/** Every problem found, in one error: a developer fixes them all in one go rather than one start at a time. */
function problemsError (problems: readonly Problem[]): FanbotError {
  const [first] = problems
  if (first === undefined) throw new Error('problemsError needs at least one problem')
  const lines = problems.map((problem) => `${problem.where}: ${problem.detail}`)
  const causes = problems.flatMap((problem) => problem.cause === undefined ? [] : [problem.cause])
  return new FanbotError(first.code, {
    detail: problems.length === 1 ? `${first.where}: ${first.detail}` : `${problems.length} problems:\n  ${lines.join('\n  ')}`,
    ...(causes.length === 0 ? {} : { cause: causes.length === 1 ? causes[0] : new AggregateError(causes) })
  })
}

function looksLikeHandler (value: unknown): boolean {
  return isFunction(value) || (typeof value === 'object' && value !== null && ('handle' in value || 'on' in value))
}

/** Why a value is not a handler object, with the shape to use when it is a near miss (a bare function). */
function notAnObject (exported: unknown): string | undefined {
  if (isFunction(exported)) return `the export is a function, but a handler is an object that names its trigger: ${SHAPE_HINT}`
  if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
    return `expected a handler object, got ${exported === null ? 'null' : Array.isArray(exported) ? 'a nested array' : typeof exported}; ${SHAPE_HINT}`
  }
  return undefined
}

function normalise (file: string, exported: unknown, index: number | undefined, order: number): LoadedHandler | Problem {
  const where = index === undefined ? file : `${file}[${index}]`
  const wrongKind = notAnObject(exported)
  if (wrongKind !== undefined) return { code: 'WEIBO_ERR_HANDLER_INVALID', where, detail: wrongKind }
  const parsed = HandlerShape.safeParse(exported)
  if (!parsed.success) return { code: 'WEIBO_ERR_HANDLER_INVALID', where, detail: describeZodError(parsed.error) }
  const handler = parsed.data
  const base = path.basename(file).replace(HANDLER_FILE, '')
  return {
    name: handler.name ?? (index === undefined ? base : `${base}#${index}`),
    file,
    triggers: (Array.isArray(handler.on) ? handler.on : [handler.on]) as Trigger[],
    priority: handler.priority ?? 0,
    order,
    session: handler.session ?? false,
    match: handler.match as LoadedHandler['match'],
    ...(handler.accounts === undefined ? {} : { accounts: handler.accounts }),
    handle: handler.handle as LoadedHandler['handle']
  }
}

/** No default export: named exports that look like handlers are pointed at, since that is the usual slip. */
function missingDefault (module: Record<string, unknown>): string {
  const named = Object.entries(module).filter(([, value]) => looksLikeHandler(value)).map(([name]) => name)
  if (named.length === 0) return `no default export; ${SHAPE_HINT}`
  return `no default export, but ${named.map((name) => `"${name}"`).join(', ')} ${named.length === 1 ? 'looks' : 'look'} like a handler: ` +
    `only the default export is loaded; ${SHAPE_HINT} (or \`export default ${named[0] ?? ''}\`)`
}

/**
 * An import failure in one line, without the file name the report already starts with: a syntax error from the
 * TypeScript compiler comes as "Transform failed with 1 error:" and then "<file>:1:50: ERROR: …".
 */
function importFailure (file: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const lines = message.split('\n')
    .map((line) => line.split(`${file}:`).join('').trim())
    .filter((line) => line !== '' && !/^Transform failed with \d+ errors?:$/.test(line))
  return lines.join('; ')
}

/** What a handlers folder holds: handlers, and middleware (objects with `use` instead of `on` and `handle`). */
export interface LoadedModules {
  handlers: LoadedHandler[]
  middleware: LoadedMiddleware[]
}

/** Imports every module of `dir` (see `loadHandlerModules`) and keeps only the handlers. */
export async function loadHandlers (dir: string): Promise<LoadedHandler[]> {
  return (await loadHandlerModules(dir)).handlers
}

/**
 * Imports every module of `dir` in file-name order. A module default-exports a handler, a middleware, or an array
 * of them. Every file is checked before anything is reported: one error lists every problem of every file.
 */
export async function loadHandlerModules (dir: string): Promise<LoadedModules> {
  const folder = path.resolve(dir)
  const info = await stat(folder).catch(() => undefined)
  if (info?.isDirectory() !== true) throw new FanbotError('WEIBO_ERR_HANDLER_DIR_MISSING', { detail: folder })

  const files = (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && isHandlerFile(entry.name))
    .map((entry) => entry.name)
    .sort()
  const loaded: LoadedModules = { handlers: [], middleware: [] }
  const problems: Problem[] = []
  for (const fileName of files) {
    const file = path.join(folder, fileName)
    let module: Record<string, unknown>
    try {
      module = await import(pathToFileURL(file).href) as Record<string, unknown>
    } catch (error) {
      problems.push({ code: 'WEIBO_ERR_HANDLER_IMPORT_FAILED', where: file, detail: importFailure(file, error), cause: error })
      continue
    }
    if (module.default === undefined) {
      problems.push({ code: 'WEIBO_ERR_HANDLER_INVALID', where: file, detail: missingDefault(module) })
      continue
    }
    sortInto(loaded, problems, check({ file, exported: module.default, firstOrder: loaded.handlers.length + loaded.middleware.length }))
  }
  if (problems.length > 0) throw problemsError(problems)
  return loaded
}

function sortInto (loaded: LoadedModules, problems: Problem[], results: ReadonlyArray<LoadedHandler | LoadedMiddleware | Problem>): void {
  for (const result of results) {
    if ('code' in result) problems.push(result)
    else if ('use' in result) loaded.middleware.push(result)
    else loaded.handlers.push(result)
  }
}

export interface NormaliseInput {
  /** Where the handlers come from, for names and error messages. */
  file: string
  /** A handler or an array of handlers, as a module would default-export them. */
  exported: unknown
  firstOrder?: number
}

/** One entry of a default export: a middleware (`{ use }` without `handle`) or a handler, or what is wrong with it. */
function normaliseItem (file: string, item: unknown, index: number | undefined, order: number): LoadedHandler | LoadedMiddleware | Problem {
  if (!isMiddlewareExport(item)) return normalise(file, item, index, order)
  const middleware = normaliseMiddleware({ file, exported: item, index, order })
  if (typeof middleware !== 'string') return middleware
  return { code: 'WEIBO_ERR_HANDLER_INVALID', where: index === undefined ? file : `${file}[${index}]`, detail: middleware }
}

function check (input: NormaliseInput): Array<LoadedHandler | LoadedMiddleware | Problem> {
  const { file, exported } = input
  const list: unknown[] = Array.isArray(exported) ? exported : [exported]
  if (list.length === 0) return [{ code: 'WEIBO_ERR_HANDLER_INVALID', where: file, detail: `the default export is an empty array; ${SHAPE_HINT}` }]
  return list.map((item, index) => normaliseItem(file, item, Array.isArray(exported) ? index : undefined, (input.firstOrder ?? 0) + index))
}

/** Validates handlers and middleware given in code (tests, the test kit) exactly as a module's default export is. */
export function normaliseModule (input: NormaliseInput): LoadedModules {
  const loaded: LoadedModules = { handlers: [], middleware: [] }
  const problems: Problem[] = []
  sortInto(loaded, problems, check(input))
  if (problems.length > 0) throw problemsError(problems)
  return loaded
}

/** Validates handler objects given in code; middleware among them is refused (use `normaliseModule`). */
export function normaliseHandlers (input: NormaliseInput): LoadedHandler[] {
  const { handlers, middleware } = normaliseModule(input)
  if (middleware.length > 0) throw problemsError([{ code: 'WEIBO_ERR_HANDLER_INVALID', where: input.file, detail: 'middleware is not a handler here' }])
  return handlers
}

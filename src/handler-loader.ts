import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { z } from 'zod'
import { FanbotError } from './errors.ts'
import type { LoadedHandler, Trigger } from './handler.ts'
import { EVENT_SUBTYPES, MENTION_SUBTYPES, MESSAGE_TYPES } from './message-schema.ts'
import { STREAM_TYPES } from './push-stream/stream-message.ts'
import { isMiddlewareExport, normaliseMiddleware, type LoadedMiddleware } from './middleware.ts'

const TRIGGERS: readonly string[] = [
  ...MESSAGE_TYPES,
  ...EVENT_SUBTYPES.map((subtype) => `event:${subtype}`),
  ...MENTION_SUBTYPES.map((subtype) => `mention:${subtype}`),
  ...STREAM_TYPES,
  '*'
]

const TriggerSchema = z.string().refine((trigger) => TRIGGERS.includes(trigger), {
  error: (issue) => `unknown trigger ${JSON.stringify(issue.input)}; use one of ${TRIGGERS.join(', ')}`
})

const isFunction = (value: unknown): value is (...args: unknown[]) => unknown => typeof value === 'function'

const HandlerShape = z.object({
  name: z.string().min(1).optional(),
  on: z.union([TriggerSchema, z.array(TriggerSchema).min(1, 'must list at least one trigger')], {
    error: (issue) => issue.input === undefined ? 'is required: a trigger such as \'text\' or a list of them' : undefined
  }),
  match: z.union([z.string(), z.instanceof(RegExp), z.custom(isFunction)], 'must be a string, a RegExp or a function').optional(),
  priority: z.number().finite().optional(),
  handle: z.custom(isFunction, 'must be a function (message, ctx) => reply')
})

const HANDLER_FILE = /\.(ts|js|mjs)$/
const SKIPPED_FILE = /^[._]|\.(test|spec)\.[a-z]+$|\.d\.ts$/

/** Which files of a folder are handler modules: `.ts`, `.js`, `.mjs`, not `_x`/`.x`, not tests or declarations. */
export function isHandlerFile (fileName: string): boolean {
  return HANDLER_FILE.test(fileName) && !SKIPPED_FILE.test(fileName)
}

function invalid (file: string, detail: string): FanbotError {
  return new FanbotError('WEIBO_ERR_HANDLER_INVALID', { detail: `${file}: ${detail}` })
}

function normalise (file: string, exported: unknown, index: number | undefined, order: number): LoadedHandler {
  const where = index === undefined ? file : `${file}[${index}]`
  const parsed = HandlerShape.safeParse(exported)
  if (!parsed.success) throw invalid(where, z.prettifyError(parsed.error).replace(/\n\s*/g, ' '))
  const handler = parsed.data
  const base = path.basename(file).replace(HANDLER_FILE, '')
  return {
    name: handler.name ?? (index === undefined ? base : `${base}#${index}`),
    file,
    triggers: (Array.isArray(handler.on) ? handler.on : [handler.on]) as Trigger[],
    priority: handler.priority ?? 0,
    order,
    match: handler.match as LoadedHandler['match'],
    handle: handler.handle as LoadedHandler['handle']
  }
}

/** What a handlers folder holds: handlers, and middleware (objects with `use` instead of `on` and `handle`). */
export interface LoadedModules {
  handlers: LoadedHandler[]
  middleware: LoadedMiddleware[]
}

/** Imports every handler module of `dir` (see `loadHandlerModules`) and keeps only the handlers. */
export async function loadHandlers (dir: string): Promise<LoadedHandler[]> {
  return (await loadHandlerModules(dir)).handlers
}

/**
 * Imports every module of `dir` in file-name order. A module default-exports a handler, a middleware, or an array
 * of them; anything else stops the start with an error naming the file and what is wrong.
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
  for (const fileName of files) {
    const file = path.join(folder, fileName)
    let module: { default?: unknown }
    try {
      module = await import(pathToFileURL(file).href) as { default?: unknown }
    } catch (error) {
      throw new FanbotError('WEIBO_ERR_HANDLER_IMPORT_FAILED', {
        detail: `${file}: ${error instanceof Error ? error.message : String(error)}`, cause: error
      })
    }
    if (module.default === undefined) throw invalid(file, 'no default export')
    const { handlers, middleware } = normaliseModule({ file, exported: module.default, firstOrder: loaded.handlers.length + loaded.middleware.length })
    loaded.handlers.push(...handlers)
    loaded.middleware.push(...middleware)
  }
  return loaded
}

export interface NormaliseInput {
  /** Where the handlers come from, for names and error messages. */
  file: string
  /** A handler or an array of handlers, as a module would default-export them. */
  exported: unknown
  firstOrder?: number
}

/** Validates handler objects given in code (tests, the test kit) exactly as a module's default export is. */
export function normaliseHandlers (input: NormaliseInput): LoadedHandler[] {
  const { file, exported } = input
  const list: unknown[] = Array.isArray(exported) ? exported : [exported]
  if (list.length === 0) throw invalid(file, 'the default export is an empty array')
  return list.map((item, index) => normalise(file, item, Array.isArray(exported) ? index : undefined, (input.firstOrder ?? 0) + index))
}

/** Like `normaliseHandlers`, for a whole module: middleware (`{ use }`) are told apart from handlers item by item. */
export function normaliseModule (input: NormaliseInput): LoadedModules {
  const { file, exported } = input
  const list: unknown[] = Array.isArray(exported) ? exported : [exported]
  if (list.length === 0) throw invalid(file, 'the default export is an empty array')
  const loaded: LoadedModules = { handlers: [], middleware: [] }
  list.forEach((item, position) => {
    const index = Array.isArray(exported) ? position : undefined
    const order = (input.firstOrder ?? 0) + position
    if (isMiddlewareExport(item)) loaded.middleware.push(normaliseMiddleware({ file, exported: item, index, order }))
    else loaded.handlers.push(normalise(file, item, index, order))
  })
  return loaded
}

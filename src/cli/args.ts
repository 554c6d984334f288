import { parseArgs, type ParseArgsConfig } from 'node:util'
import { usageError } from './cli-error.ts'

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>

/** `--url`, `--secret`: every command that talks to a callback URL takes them. */
export const TARGET_OPTIONS = {
  url: { type: 'string' },
  secret: { type: 'string' }
} as const satisfies OptionSpecs

export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies OptionSpecs

/** The options of a "list the failed ones, retry some" command (`outbox`, `stream`): --limit, --json, --all. */
export const LIST_AND_RETRY_OPTIONS = {
  ...HELP_OPTION,
  limit: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' }
} as const satisfies OptionSpecs

const NEGATIVE_NUMBER = /^-\d/

/**
 * `--lat -33.8` is what people type, but parseArgs (strict) reads the value as an option and refuses it as
 * ambiguous. A negative number can never be one of our options, so it is glued to its option first.
 */
function joinNegativeValues (args: readonly string[], options: OptionSpecs): string[] {
  const joined: string[] = []
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? ''
    const next = args[index + 1]
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      joined.push(`${arg}=${next}`)
      index++
    } else {
      joined.push(arg)
    }
  }
  return joined
}

/**
 * parseArgs says what is wrong in a paragraph; the CLI says it in one line. The error's `code` tells the kind, and
 * a lenient re-parse into tokens finds which option it was (no reading of the message text).
 */
function explain (args: string[], options: OptionSpecs, error: unknown): string {
  const code = (error as { code?: unknown }).code
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true })
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const spec = options[token.name]
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && spec === undefined) return `unknown option ${token.rawName}`
    if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || spec === undefined) continue
    if (spec.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value`
    if (spec.type !== 'string' || token.inlineValue === true) continue
    // Without `=`, a value starting with "-" is refused as ambiguous: it may be the next option.
    if (token.value === undefined || token.value.startsWith('--')) return `${token.rawName} needs a value`
    if (token.value.startsWith('-')) return `${token.rawName} needs a value; to give one that starts with "-", write ${token.rawName}=${token.value}`
  }
  return error instanceof Error ? error.message.split('\n')[0] ?? 'invalid arguments' : 'invalid arguments'
}

/** What parseArgs returns for these options (named, so that the package's type declarations can say it). */
export type ParsedArgs<O extends OptionSpecs> = ReturnType<typeof parseArgs<{ args: string[], options: O, strict: true, allowPositionals: true }>>

/** util.parseArgs, strict, with positionals; any problem becomes a one-line usage error. */
export function parseCommandArgs<const O extends OptionSpecs> (rawArgs: readonly string[], options: O): ParsedArgs<O> {
  const args = joinNegativeValues(rawArgs, options)
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true })
  } catch (error) {
    throw usageError(explain(args, options, error), { cause: error })
  }
}

export function requireOneOf<const T extends string> (what: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw usageError(`${what} "${value}" is not one of ${allowed.join(', ')}`)
}

/** A coordinate as Weibo writes it: a decimal string within ±limit. */
export function decimalOption (name: string, value: string, limit: number): string {
  if (/^-?\d+(\.\d+)?$/.test(value) && Math.abs(Number(value)) <= limit) return value
  throw usageError(`--${name} must be a decimal number from -${limit} to ${limit}, such as ${limit === 90 ? '39.982525' : '116.308586'}; got "${value}"`)
}

/** A Weibo uid or status id: up to 20 digits (64-bit ids go through digit for digit). */
export function idOption (name: string, value: string): string {
  if (/^\d{1,20}$/.test(value)) return value
  throw usageError(`--${name} must be a Weibo id (1 to 20 digits); got "${value}"`)
}

export function urlOption (name: string, value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw usageError(`--${name} must be a URL such as http://127.0.0.1:3000/weibo; got "${value}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--${name} must be an http(s) URL; got "${value}"`)
  return url.href
}

export function portOption (name: string, value: string): number {
  const port = Number(value)
  if (/^\d+$/.test(value) && port <= 65535) return port
  throw usageError(`--${name} must be a port number from 0 to 65535; got "${value}"`)
}

/** Positionals beyond what a command takes are a mistake worth naming (often an unquoted text). */
export function noMorePositionals (positionals: readonly string[], max: number, hint: string): void {
  if (positionals.length > max) throw usageError(`unexpected argument "${positionals[max] ?? ''}" (${hint})`)
}

/** `--limit N` of the list commands (outbox list, stream failed): 20 by default, at most 10,000. */
export function limitOption (value: string | undefined): number {
  if (value === undefined) return 20
  const limit = Number(value)
  if (/^\d+$/.test(value) && limit >= 1 && limit <= 10_000) return limit
  throw usageError(`--limit must be a whole number from 1 to 10000; got "${value}"`)
}

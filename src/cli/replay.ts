import { readFile } from 'node:fs/promises'
import type { Environment } from '../config.ts'
import { parsePushBody } from '../push-body.ts'
import { deliverPush } from '../simulator/callback-client.ts'
import { HELP_OPTION, noMorePositionals, parseCommandArgs, TARGET_OPTIONS } from './args.ts'
import { describeError, usageError } from './cli-error.ts'
import { reportDelivery } from './delivery-report.ts'
import { printHelp } from './help.ts'
import { lazyConfig, resolveTarget } from './target.ts'

const OPTIONS = { ...TARGET_OPTIONS, ...HELP_OPTION, json: { type: 'boolean' } } as const

/** The file's text, unchanged; an unreadable file is the user's argument gone wrong (exit 2), not a failed push. */
async function readPushFile (file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : describeError(error)
    throw usageError(`cannot read ${file}: ${reason}`, { cause: error })
  }
}

/**
 * `weibo-fanbot replay <file.json>`: sends a saved push again with a fresh signature. The body goes out byte for
 * byte as saved (64-bit ids and all); it is parsed only to check it is JSON and to describe it.
 */
export async function replay (args: readonly string[], env: Environment): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS)
  if (values.help === true) return printHelp('replay')
  const [file] = positionals
  if (file === undefined) throw usageError('missing the push file (a saved push, as JSON)')
  noMorePositionals(positionals, 1, 'replay takes one file')
  const target = resolveTarget(values, lazyConfig(env))
  const body = await readPushFile(file)
  let push: unknown
  try {
    // The server's own parser: it keeps integers beyond 2^53 as digit strings, so the summary shows them exactly.
    push = parsePushBody(body)
  } catch (error) {
    throw usageError(`${file} is not JSON (${describeError(error)})`, { cause: error })
  }
  const result = await deliverPush({ url: target.url, secret: target.secret, body })
  reportDelivery({ push, url: target.url, signed: target.secret !== undefined, result, json: values.json === true })
}

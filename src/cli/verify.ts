import type { Environment } from '../config.ts'
import { verifyCallbackUrl } from '../simulator/callback-client.ts'
import { HELP_OPTION, noMorePositionals, parseCommandArgs, TARGET_OPTIONS } from './args.ts'
import { failure } from './cli-error.ts'
import { printHelp } from './help.ts'
import { out } from './print.ts'
import { lazyConfig, resolveTarget } from './target.ts'

const OPTIONS = { ...TARGET_OPTIONS, ...HELP_OPTION } as const

/** `weibo-fanbot verify`: the GET handshake Weibo makes when the URL is bound; OK, or what is wrong, in one line. */
export async function verify (args: readonly string[], env: Environment): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS)
  if (values.help === true) return printHelp('verify')
  noMorePositionals(positionals, 0, 'the URL goes in --url')
  const target = resolveTarget(values, lazyConfig(env))
  const result = await verifyCallbackUrl({ url: target.url, secret: target.secret })
  if (!result.ok) throw failure(`${target.url}: ${result.explanation}`)
  out(`OK ${target.url}: ${result.explanation}${target.secret === undefined ? ' (unsigned: no --secret or WEIBO_APP_SECRET)' : ''}`)
}

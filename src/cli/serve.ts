import { pathToFileURL } from 'node:url'
import type { Environment } from '../config.ts'
import { HELP_OPTION, noMorePositionals, parseCommandArgs } from './args.ts'
import { printHelp } from './help.ts'
import { serverEntry } from './server-entry.ts'

/**
 * `weibo-fanbot serve`: the server, in this process, on the handlers of the current project (HANDLERS_DIR,
 * default ./handlers), configured from the environment and ./.env, exactly as `npm start` runs it in this repo.
 */
export async function serve (args: readonly string[], _env: Environment): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, HELP_OPTION)
  if (values.help === true) return printHelp('serve')
  noMorePositionals(positionals, 0, 'serve takes its settings from the environment and ./.env')
  await import(pathToFileURL(serverEntry()).href)
  // From here the server owns the process: it exits by itself, after a graceful stop on SIGTERM or SIGINT, or with
  // code 1 when it cannot start. The CLI must not exit when this command "ends", so it never does.
  await new Promise<never>(() => {})
}

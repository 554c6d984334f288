import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Environment } from '../config.ts'
import { HELP_OPTION, noMorePositionals, parseCommandArgs } from './args.ts'
import { failure } from './cli-error.ts'
import { printHelp } from './help.ts'
import { serverEntry } from './server-entry.ts'
import { lazyConfig } from './target.ts'

/**
 * `weibo-fanbot dev`: the server restarted on every change, through `tsx watch`: the files it imports, and every
 * file under HANDLERS_DIR (new ones included, wherever the folder is) and ./.env. Logs are pretty on a terminal
 * (LOG_FORMAT=auto) unless LOG_FORMAT says otherwise.
 */
export async function dev (args: readonly string[], env: Environment): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, HELP_OPTION)
  if (values.help === true) return printHelp('dev')
  noMorePositionals(positionals, 0, 'dev takes its settings from the environment and ./.env')
  // The configuration is checked here first, so a bad variable is said once, not by every restart.
  const handlersDir = path.resolve(lazyConfig({ LOG_FORMAT: 'auto', ...env })().handlersDir)
  const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'))
  const child = spawn(process.execPath, [
    tsxCli, 'watch', '--clear-screen=false',
    // A glob: chokidar also picks up files created after the start, which a list of imported files cannot.
    '--include', `${handlersDir}/**/*`, '--include', path.resolve('.env'),
    serverEntry()
  ], { stdio: 'inherit', env: { ...env, LOG_FORMAT: env.LOG_FORMAT ?? 'auto' } })
  // Ctrl-C reaches the whole process group; a SIGTERM sent to this process alone is passed on.
  const forward = (signal: NodeJS.Signals): void => { child.kill(signal) }
  process.on('SIGTERM', forward)
  process.on('SIGINT', () => {})
  const [code, signal] = await once(child, 'close') as [number | null, NodeJS.Signals | null]
  process.off('SIGTERM', forward)
  if (code !== 0 && signal === null) throw failure(`the watcher ended with code ${String(code)}`)
}

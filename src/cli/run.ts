import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Environment } from '../config.ts'
import { parseCommandArgs } from './args.ts'
import { describeError, EXIT_OK, EXIT_USAGE, exitCodeOf, usageError, type ExitCode } from './cli-error.ts'
import { COMMANDS, printHelp, type CommandName } from './help.ts'
import { errLine, out } from './print.ts'

type Command = (args: readonly string[], env: Environment) => Promise<void>

/**
 * Each command is imported only when run: chat pulls in the whole server (Fastify, zod, the handlers), and a
 * usage error or --help should not wait for that.
 */
const LOAD: Record<CommandName, () => Promise<Command>> = {
  init: async () => (await import('./init.ts')).init,
  serve: async () => (await import('./serve.ts')).serve,
  dev: async () => (await import('./dev.ts')).dev,
  send: async () => (await import('./send.ts')).send,
  verify: async () => (await import('./verify.ts')).verify,
  replay: async () => (await import('./replay.ts')).replay,
  chat: async () => (await import('./chat.ts')).chat,
  outbox: async () => (await import('./outbox.ts')).outbox,
  stream: async () => (await import('./stream.ts')).stream
}

async function version (): Promise<string> {
  // Through the package's own export: the path differs between a checkout (src/cli) and the package (dist/src/cli).
  const manifestFile = createRequire(import.meta.url).resolve('weibo-fanbot/package.json')
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { version?: unknown }
  return String(manifest.version)
}

function isCommand (name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name)
}

/** Options before any command: --help and --version only. */
async function topLevel (args: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' }
  })
  if (values.version === true) return out(await version())
  if (values.help === true) return printHelp()
  if (positionals.length === 0) throw usageError(`no command given (${COMMANDS.join(', ')})`)
}

/** Runs one command line (the arguments after the script); throws what the command throws. */
async function run (argv: readonly string[], env: Environment): Promise<void> {
  const [first = '', ...rest] = argv
  if (argv.length === 0 || first.startsWith('-')) return await topLevel(argv)
  if (first === 'help') {
    const [topic] = rest
    if (topic === undefined) return printHelp()
    if (!isCommand(topic)) throw usageError(`help: no command "${topic}"`)
    return printHelp(topic)
  }
  if (!isCommand(first)) throw usageError(`unknown command "${first}" (${COMMANDS.join(', ')})`)
  const command = await LOAD[first]()
  await command(rest, env)
}

/**
 * The one line the CLI prints on stderr for a command line that failed: `weibo-fanbot <command>: <why>`, and for a
 * usage error the pointer to --help.
 */
function errorLine (argv: readonly string[], error: unknown): string {
  const command = argv[0] !== undefined && isCommand(argv[0]) ? `weibo-fanbot ${argv[0]}` : 'weibo-fanbot'
  return `${command}: ${describeError(error)}${exitCodeOf(error) === EXIT_USAGE ? '; see weibo-fanbot --help' : ''}`
}

/**
 * A command line from start to exit code: `prepare` (main's .env loading) and the command; a failure is said in one
 * line on stderr. All the CLI does but exit (main.ts): tests run command lines in-process through it too.
 */
export async function runCommandLine (input: { argv: readonly string[], env: Environment, prepare?: () => void }): Promise<ExitCode> {
  try {
    input.prepare?.()
    await run(input.argv, input.env)
    return EXIT_OK
  } catch (error) {
    errLine(errorLine(input.argv, error))
    return exitCodeOf(error)
  }
}

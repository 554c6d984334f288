import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Environment } from '../config.ts'
import { loadDotEnv } from '../env-file.ts'
import { parseCommandArgs } from './args.ts'
import { describeError, EXIT_OK, EXIT_USAGE, exitCodeOf, usageError, type ExitCode } from './cli-error.ts'
import { COMMANDS, printHelp, type CommandName } from './help.ts'
import { errLine, flushOutput, out } from './print.ts'

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

/** The one place the CLI reads the process: its arguments and environment in, an exit code out. */
async function main (): Promise<ExitCode> {
  const argv = process.argv.slice(2)
  try {
    loadDotEnv() // ./.env fills what the environment does not set, for every command
    await run(argv, process.env)
    return EXIT_OK
  } catch (error) {
    const code = exitCodeOf(error)
    const command = argv[0] !== undefined && isCommand(argv[0]) ? `weibo-fanbot ${argv[0]}` : 'weibo-fanbot'
    errLine(`${command}: ${describeError(error)}${code === EXIT_USAGE ? '; see weibo-fanbot --help' : ''}`)
    return code
  }
}

const code = await main()
await flushOutput()
// Exit now rather than when the event loop empties: a keep-alive socket or a handler's timer must not hold the CLI.
process.exit(code)

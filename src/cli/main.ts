import { readFile } from 'node:fs/promises'
import type { Environment } from '../config.ts'
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
  send: async () => (await import('./send.ts')).send,
  verify: async () => (await import('./verify.ts')).verify,
  replay: async () => (await import('./replay.ts')).replay,
  chat: async () => (await import('./chat.ts')).chat,
  outbox: async () => (await import('./outbox.ts')).outbox
}

async function version (): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
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
  if (positionals.length === 0) throw usageError('no command given (send, verify, replay, chat or outbox)')
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
  if (!isCommand(first)) throw usageError(`unknown command "${first}" (send, verify, replay, chat or outbox)`)
  const command = await LOAD[first]()
  await command(rest, env)
}

/** The one place the CLI reads the process: its arguments and environment in, an exit code out. */
async function main (): Promise<ExitCode> {
  const argv = process.argv.slice(2)
  try {
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

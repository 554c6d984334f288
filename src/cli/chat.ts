import { stat } from 'node:fs/promises'
import { createInterface, type Interface } from 'node:readline'
import type { Environment } from '../config.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_FAN_ID, makePush, pushToJson, type PushSpec } from '../simulator/push-factory.ts'
import { HELP_OPTION, noMorePositionals, parseCommandArgs, portOption, TARGET_OPTIONS, urlOption } from './args.ts'
import { describeError, usageError } from './cli-error.ts'
import { CHAT_HELP, parseChatLine } from './chat-input.ts'
import { simulatorEnv } from './chat-env.ts'
import { createChatPrinter, watchBot, wipeLine, type BotWatcher } from './chat-output.ts'
import { chatAccountToken, STREAM_CONNECT_MS, type ChatSession } from './chat-session.ts'
import { createStreamPoster } from './chat-stream.ts'
import { explainFailure } from './delivery-report.ts'
import { describeFanAction } from './format.ts'
import { printHelp } from './help.ts'
import { out, terminalInput } from './print.ts'
import { lazyConfig } from './target.ts'
import { waitUntil } from './wait-until.ts'

const OPTIONS = {
  ...TARGET_OPTIONS,
  ...HELP_OPTION,
  'api-port': { type: 'string' },
  handlers: { type: 'string' },
  log: { type: 'string' },
  account: { type: 'string', multiple: true }
} as const

/** How long chat waits, once input ends, for late replies still on their way. */
const LATE_REPLY_GRACE_MS = 5000
/** The stream position file suggested to a server chat talks to: not its real one, which a fake id would spoil. */
const REMOTE_SINCE_ID_FILE = 'data/chat-push-since-id'

async function requireFolder (dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined)
  if (info?.isDirectory() !== true) throw usageError(`--handlers ${dir} is not a folder`)
}

/** `NAME=value` lines, indented under the banner's labels, to paste into a server's environment (or .env). */
function envLines (env: Record<string, string>): string[] {
  return Object.entries(env).map(([name, value]) => `             ${name}=${value}`)
}

function printBanner (session: ChatSession, print: (line: string) => void): void {
  print(`weibo-fanbot chat: you are fan ${DEFAULT_FAN_ID}, writing to the bot account ${session.accounts[0] ?? DEFAULT_ACCOUNT_ID}.`)
  if (session.accounts.length > 0) print(`accounts   ${session.accounts.join(', ')}: /account UID writes to another`)
  if (session.bot !== undefined) {
    const { config, handlers } = session.bot.fanbot
    print(`bot        in this process at ${session.callbackUrl}: ${handlers.length} handler${handlers.length === 1 ? '' : 's'} from ${config.handlersDir}, ` +
      `passive deadline ${config.replyDeadlineMs} ms`)
    print(`weibo api  fake, at ${session.sim.apiBaseUrl}; the bot's late replies, direct messages and downloads go there`)
    print(session.stream?.connected === true
      ? `stream     on: the bot holds the fake push stream (subid ${session.sim.pushStream.subid}); /status and /comment post on it`
      : `stream     (the bot's push stream did not connect within ${STREAM_CONNECT_MS / 1000} s; /status and /comment may go unanswered)`)
  } else {
    const { api, stream } = simulatorEnv(session.sim, session.accessToken)
    print(`bot        your server at ${session.callbackUrl}`)
    print(`weibo api  fake, at ${session.sim.apiBaseUrl}`)
    print('           for late replies, direct messages and downloads to reach it, run the server with:')
    // Several accounts take their tokens from the accounts file, not WEIBO_ACCESS_TOKEN (the two are exclusive).
    const hosts = session.accounts.length === 0 ? api : Object.fromEntries(Object.entries(api).filter(([name]) => name !== 'WEIBO_ACCESS_TOKEN'))
    for (const line of envLines(hosts)) print(line)
    if (session.accounts.length > 0) {
      print('           with WEIBO_ACCOUNTS_FILE listing these accounts and tokens (the fake accepts no others):')
      for (const uid of session.accounts) print(`             { "uid": "${uid}", "accessToken": "${chatAccountToken(uid)}" }`)
    }
    print('           and, to try its stream handlers with /status and /comment, also:')
    for (const line of envLines({ ...stream, WEIBO_PUSH_SINCE_ID_FILE: REMOTE_SINCE_ID_FILE })) print(line)
  }
  print('Type a message, or /help for the commands; /quit or Ctrl-D ends.')
}

/** The fan's own line, echoed when input is piped (a person at a terminal already sees what they typed). */
function fanLine (spec: PushSpec, push: Record<string, unknown>): string {
  if (spec.type === 'text') return `fan: ${spec.text ?? ''}`
  return `fan: ${describeFanAction(push)}${spec.type === 'mention' ? ` ${String(push.text)}` : ''}`
}

/** Counts the handler failures printed, so that a push answered blank because its handler failed says no more. */
interface FailureCount { printed: number }

async function sendAsFan (options: { session: ChatSession, spec: PushSpec, watcher: BotWatcher, print: (line: string) => void, echo: boolean, failures: FailureCount }): Promise<void> {
  const { session, spec, watcher, print } = options
  const push = makePush(spec)
  if (options.echo) print(fanLine(spec, push))
  const failuresBefore = options.failures.printed
  // Passive replies print through the conversation, in order with late ones; only the other outcomes are left here.
  const { delivery } = await session.sim.push(pushToJson(push))
  if (delivery.outcome === 'blank' && options.failures.printed > failuresBefore) return // the failure line said why
  if (delivery.outcome === 'blank') {
    // An in-process bot can say whether a handler is still at work; a server elsewhere cannot, so expect the worst.
    const working = session.bot === undefined || session.bot.fanbot.dispatcher.pending > 0
    if (session.bot === undefined) watcher.expectLate()
    print(`     (blank answer: no reply now${working ? '; a late reply may follow' : ''})`)
  } else if (delivery.outcome !== 'passive') {
    print(`     (push failed: ${explainFailure(delivery, { url: session.callbackUrl, signed: session.signed })})`)
  }
}

/** Waits for late replies the fan could still get: the in-process bot says when it is idle; another is watched. */
async function waitForLateReplies (session: ChatSession, watcher: BotWatcher, print: (line: string) => void): Promise<void> {
  const bot = session.bot?.fanbot
  const busy = bot === undefined ? watcher.lateExpected > 0 : bot.dispatcher.pending > 0 || bot.streamDispatcher.pending > 0
  if (!busy) return
  print(`     (waiting up to ${LATE_REPLY_GRACE_MS / 1000} s for late replies)`)
  const settled = session.settle !== undefined
    ? await session.settle(LATE_REPLY_GRACE_MS)
    : await waitUntil(() => { watcher.flush(); return watcher.lateExpected === 0 }, LATE_REPLY_GRACE_MS)
  watcher.flush()
  if (!settled) print(`     (stopped waiting after ${LATE_REPLY_GRACE_MS / 1000} s)`)
}

/** A running server is checked with Weibo's handshake first, so a wrong URL or secret shows before the first message. */
async function checkRemote (session: ChatSession, print: (line: string) => void): Promise<void> {
  if (session.bot !== undefined) return
  const result = await session.sim.verify()
  print(`check      ${result.ok ? 'OK' : 'the handshake failed'}: ${result.explanation}`)
}

/** `/account`: lists the accounts, or makes the fan write to another one from now on. */
function switchAccount (session: ChatSession, state: { account: string }, uid: string | undefined): string {
  if (session.accounts.length === 0) return `chat plays one account (${state.account}); start it with --account UID (once per account) to play several`
  if (uid === undefined) return `writing to ${state.account}; the accounts are ${session.accounts.join(', ')}`
  if (!session.accounts.includes(uid)) return `${uid} is not one of the accounts chat plays (${session.accounts.join(', ')})`
  state.account = uid
  return `now writing to the bot account ${uid}`
}

async function converse (session: ChatSession, rl: Interface, lines: AsyncIterable<string>, tty: boolean): Promise<void> {
  // Before the first prompt plain lines will do; from then on a line must not tear the prompt.
  printBanner(session, out)
  await checkRemote(session, out)
  const print = createChatPrinter(rl, tty)
  const watcher = watchBot({ sim: session.sim, fanId: DEFAULT_FAN_ID, print, quota: session.bot?.fanbot.quota })
  const postOnStream = createStreamPoster({ session, watcher, print, echo: !tty })
  // A failed handler looks like silence to the fan; the developer sees why, inline, as it happens.
  const failures: FailureCount = { printed: 0 }
  const state = { account: session.accounts[0] ?? DEFAULT_ACCOUNT_ID }
  const stopFailures = session.onHandlerFailure?.((line) => {
    failures.printed++
    print(`     (${line})`)
  })
  try {
    if (tty) rl.prompt()
    for await (const line of lines) {
      const action = parseChatLine(line)
      if (action.kind === 'quit') break
      if (action.kind === 'help') print(CHAT_HELP)
      if (action.kind === 'mistake') print(`     (${action.message})`)
      if (action.kind === 'account') print(`     (${switchAccount(session, state, action.uid)})`)
      if (action.kind === 'push') {
        await sendAsFan({ session, spec: { receiverId: state.account, ...action.spec }, watcher, print, echo: !tty, failures }).catch((error: unknown) => {
          print(`     (could not send: ${describeError(error)})`)
        })
      }
      if (action.kind === 'publish') {
        await postOnStream(action.post).catch((error: unknown) => {
          print(`     (could not publish: ${describeError(error)})`)
        })
      }
      if (tty) rl.prompt()
    }
    if (tty) wipeLine() // Ctrl-D leaves the cursor after the prompt
    await waitForLateReplies(session, watcher, print)
  } finally {
    watcher.stop()
    stopFailures?.()
  }
}

/**
 * `weibo-fanbot chat`: a person types as a fan, the bot answers, passive and late replies alike. Works with piped
 * input too (no prompt, the fan's lines echoed), which is how it is tested.
 */
export async function chat (args: readonly string[], env: Environment): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS)
  if (values.help === true) return printHelp('chat')
  noMorePositionals(positionals, 0, 'chat reads the fan\'s messages from the terminal')
  const apiPort = values['api-port'] === undefined ? undefined : portOption('api-port', values['api-port'])
  const accounts = values.account
  const badAccount = accounts?.find((uid) => !/^\d{1,20}$/.test(uid))
  if (badAccount !== undefined) throw usageError(`--account ${badAccount} is not an account uid (digits)`)
  if (accounts !== undefined && new Set(accounts).size !== accounts.length) throw usageError('--account lists the same uid twice')
  const config = lazyConfig(env)
  // The server (Fastify and all) loads only now, so `chat --help` and usage errors answer at once.
  const { startInProcessChat, startRemoteChat } = await import('./chat-session.ts')
  let session: ChatSession
  if (values.url === undefined) {
    if (values.handlers !== undefined) await requireFolder(values.handlers)
    session = await startInProcessChat({ env, secret: values.secret, apiPort, handlersDir: values.handlers, logFile: values.log, config, accounts })
  } else {
    if (values.handlers !== undefined || values.log !== undefined) throw usageError('--handlers and --log are for the bot chat starts itself; not with --url')
    const secret = values.secret === undefined ? config().appSecret : values.secret === '' ? undefined : values.secret
    session = await startRemoteChat({ callbackUrl: urlOption('url', values.url), secret, apiPort, accounts: accounts ?? [] })
  }
  const { stream: input, tty } = terminalInput()
  const rl = createInterface({ input, ...(tty ? { output: process.stdout, prompt: 'fan> ' } : {}), terminal: tty })
  rl.on('SIGINT', () => { rl.close() })
  // Taken at once: lines (and the end of input) that arrive before the loop starts would otherwise be lost.
  const iterator = rl[Symbol.asyncIterator]()
  const lines: AsyncIterable<string> = { [Symbol.asyncIterator]: () => iterator }
  try {
    await converse(session, rl, lines, tty)
  } finally {
    rl.close()
    await session.close()
  }
}

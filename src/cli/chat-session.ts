import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { buildApp } from '../app.ts'
import { loadConfig, type Config, type Environment } from '../config.ts'
import { describeHandlerFailure } from '../handler-failure.ts'
import type { HandlerRun } from '../handler-runner.ts'
import { createLogger } from '../logger.ts'
import type { PushStream } from '../push-stream/push-stream-client.ts'
import { startSimulator, type Simulator } from '../simulator/simulator.ts'
import { simulatorEnv } from './chat-env.ts'
import { waitUntil } from './wait-until.ts'

/**
 * The token the fake API accepts. Not a secret (the fake listens on loopback only), and fixed so that the env line
 * printed for a running server stays the same from one chat to the next.
 */
export const CHAT_ACCESS_TOKEN = 'weibo-fanbot-chat'

/** The token the fake API gives one of several accounts (chat --account): as fixed, and as little secret. */
export function chatAccountToken (uid: string): string {
  return `${CHAT_ACCESS_TOKEN}-${uid}`
}

/** The accounts the fake API plays, with their tokens. */
function fakeAccounts (uids: readonly string[]): Array<{ uid: string, accessToken: string }> {
  return uids.map((uid) => ({ uid, accessToken: chatAccountToken(uid) }))
}

export interface ChatSession {
  sim: Simulator
  callbackUrl: string
  /** The token the fake API accepts: the bot's WEIBO_ACCESS_TOKEN must be this. */
  accessToken: string
  /** Whether pushes are signed (a secret was given or found). */
  signed: boolean
  /** The bot's accounts chat plays (the fan writes to one at a time); empty: the one default account. */
  accounts: readonly string[]
  /** The bot when chat started it; undefined when it talks to a running server. */
  bot: FastifyInstance | undefined
  /**
   * In-process only: waits until the bot has no handler or late reply in flight, at most `timeoutMs`; true if it
   * got there. A server in another process cannot be asked; chat watches for the replies it expects instead.
   */
  settle?: (timeoutMs: number) => Promise<boolean>
  /** In-process only: the bot holds the simulator's push stream. A server elsewhere may, if started so; chat cannot tell. */
  stream?: ChatStream
  /**
   * In-process only: calls `listener` with a one-line report of each failed handler run (a throw, a timeout, an
   * invalid reply), which the fan would only see as silence. Returns the unsubscribe.
   */
  onHandlerFailure?: (listener: (line: string) => void) => () => void
  close: () => Promise<void>
}

/** What became of a record published on the push stream, as far as the in-process bot says. */
export type RecordOutcome = 'handled' | 'not-received' | 'still-running'

/** How long chat waits for the in-process bot's first push-stream connection, before the first prompt. */
export const STREAM_CONNECT_MS = 3000

export interface ChatStream {
  /** Whether the bot's first stream connection came before the first prompt (within STREAM_CONNECT_MS). */
  connected: boolean
  /**
   * Waits until the bot has received the record `id` (its stream position is there), at most `receiptMs`, then
   * until no stream handler is running, at most `handlerMs`.
   */
  handled: (id: string, timeouts: { receiptMs: number, handlerMs: number }) => Promise<RecordOutcome>
}

export interface InProcessOptions {
  env: Environment
  /** Default: WEIBO_APP_SECRET, else a random one (both sides use it, so pushes are signed as on Weibo). */
  secret: string | undefined
  apiPort: number | undefined
  handlersDir: string | undefined
  logFile: string | undefined
  /** The configuration of this environment, read only when a default is needed. */
  config: () => Config
  /** The bot's accounts (chat --account); default: the uids of WEIBO_ACCOUNTS_FILE, if set, else one account. */
  accounts: readonly string[] | undefined
}

/** The uids of WEIBO_ACCOUNTS_FILE (validated as the server does), or none when it is not set. */
async function fileAccounts (config: () => Config): Promise<string[]> {
  if (config().accountsFile === undefined) return []
  const { loadAccounts } = await import('../accounts.ts')
  return (await loadAccounts(config())).list.flatMap((account) => account.uid === undefined ? [] : [account.uid])
}

/**
 * Starts the bot in this process and the simulator pointed at it. The bot needs the fake API's URL when it is
 * built, so the simulator (and its fake API) starts first and learns the bot's URL once the bot listens.
 */
export async function startInProcessChat (options: InProcessOptions): Promise<ChatSession> {
  const secret = options.secret ?? options.config().appSecret ?? randomBytes(16).toString('hex')
  // The file's tokens are real ones: chat plays its accounts with tokens of the fake API, all on one callback path.
  const accounts = options.accounts ?? await fileAccounts(options.config)
  const sim = await startSimulator({ secret: secret === '' ? undefined : secret, accessToken: CHAT_ACCESS_TOKEN, accounts: fakeAccounts(accounts), apiPort: options.apiPort ?? 0 })
  // The stream position of this chat only: a fresh file, so a real server's position is never touched.
  const tempFolder = await mkdtemp(path.join(os.tmpdir(), 'weibo-fanbot-chat-')).catch(async (error: unknown) => {
    await sim.close()
    throw error
  })
  const removeTemp = async (): Promise<void> => { await rm(tempFolder, { recursive: true, force: true }) }
  const { api, stream } = simulatorEnv(sim, CHAT_ACCESS_TOKEN)
  let config: Config
  try {
    config = loadConfig({
      // One fan typing needs no overload shedding; on a busy laptop it would answer a stalled start with 503s.
      // (The environment can turn it back on.)
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...options.env,
      ...api,
      ...stream,
      WEIBO_PUSH_SINCE_ID_FILE: path.join(tempFolder, 'push-since-id'),
      // The fake closes a stream quiet for 5 s, as Weibo does: the bot should be back before the next /status.
      WEIBO_PUSH_RECONNECT_MIN_MS: '50',
      WEIBO_PUSH_RECONNECT_MAX_MS: '500',
      WEIBO_APP_SECRET: secret, // '' (from --secret=) counts as unset: verification off, as asked
      ...(options.handlersDir === undefined ? {} : { HANDLERS_DIR: options.handlersDir }),
      // chat has already waited for late replies when it closes the bot; a long drain would only delay the exit.
      SHUTDOWN_TIMEOUT_MS: '500',
      // Several accounts are given to the bot below, with the fake's tokens.
      ...(accounts.length === 0 ? {} : { WEIBO_ACCESS_TOKEN: undefined, WEIBO_ACCOUNTS_FILE: undefined })
    })
  } catch (error) {
    await sim.close()
    await removeTemp()
    throw error
  }
  // The bot's log lines would tear the conversation apart on the terminal: to a file, or nowhere.
  const logger = options.logFile === undefined
    ? createLogger({ level: 'silent' })
    : createLogger({ level: config.logLevel, destination: pino.destination({ dest: options.logFile, sync: true, mkdir: true }) })
  let bot: Awaited<ReturnType<typeof buildApp>> | undefined
  let callbackUrl: string
  const failureListeners = new Set<(line: string) => void>()
  const onHandlerRun = (run: HandlerRun): void => {
    const line = describeHandlerFailure(run)
    if (line !== undefined) for (const listener of failureListeners) listener(line)
  }
  try {
    bot = await buildApp({ config, logger, onHandlerRun, ...(accounts.length === 0 ? {} : { accounts: fakeAccounts(accounts) }) })
    callbackUrl = `${await bot.listen({ host: '127.0.0.1', port: 0 })}${config.callbackPath}`
    sim.setCallbackUrl(callbackUrl)
  } catch (error) {
    await bot?.close()
    await sim.close()
    await removeTemp()
    throw error
  }
  const running = bot
  const { dispatcher, streamDispatcher } = running.fanbot
  /** Resolves true when `work` is done, false after `timeoutMs`. */
  const within = async (work: Promise<unknown>, timeoutMs: number): Promise<boolean> =>
    await Promise.race([work.then(() => true, () => false), sleep(timeoutMs, false, { ref: false })])
  // The bot connects once it is ready (it listens by now); a stream that does not come is a note, not a failure.
  const streamConnected = await within(sim.pushStream.waitForConnection(), STREAM_CONNECT_MS)
  return {
    sim,
    callbackUrl,
    accessToken: CHAT_ACCESS_TOKEN,
    signed: secret !== '',
    accounts,
    bot: running,
    // Stream handlers count too: one may still be sending a direct message.
    onHandlerFailure (listener) {
      failureListeners.add(listener)
      return () => { failureListeners.delete(listener) }
    },
    settle: async (timeoutMs) => await within(Promise.all([dispatcher.idle(), streamDispatcher.idle()]), timeoutMs),
    stream: {
      connected: streamConnected,
      async handled (id, timeouts) {
        // The position moves when a record is read; it is settled once deduplicated (a Redis round trip) and handled.
        const stream = (): PushStream | undefined => running.fanbot.pushStream?.stream
        const received = await waitUntil(() => stream()?.sinceId === id, timeouts.receiptMs, 20)
        if (!received) return 'not-received'
        return await waitUntil(() => stream()?.pending === 0, timeouts.handlerMs, 20) ? 'handled' : 'still-running'
      }
    },
    async close () {
      // The bot first: its last late replies still need the fake API, and it saves its stream position on close.
      try {
        await running.close()
        // The bot's close gives its stream SHUTDOWN_TIMEOUT_MS (500 ms here) and goes on: on a loaded machine the
        // stream's last position save into tempFolder was still being written when the folder was removed
        // (ENOTEMPTY, chat's exit 1). The stream's own close is idempotent: this waits for that save.
        await running.fanbot.pushStream?.stream?.close()
        await sim.close()
      } finally {
        await removeTemp()
      }
    }
  }
}

export interface RemoteOptions {
  callbackUrl: string
  secret: string | undefined
  apiPort: number | undefined
  /** The accounts of the running server the fake API plays (chat --account). */
  accounts: readonly string[]
}

/** Only the simulator: the bot is a server someone started, which must be pointed at the fake API by hand. */
export async function startRemoteChat (options: RemoteOptions): Promise<ChatSession> {
  const sim = await startSimulator({
    callbackUrl: options.callbackUrl,
    secret: options.secret,
    accessToken: CHAT_ACCESS_TOKEN,
    accounts: fakeAccounts(options.accounts),
    apiPort: options.apiPort ?? 0
  })
  return {
    sim,
    callbackUrl: options.callbackUrl,
    accessToken: CHAT_ACCESS_TOKEN,
    signed: options.secret !== undefined,
    accounts: options.accounts,
    bot: undefined,
    close: async () => { await sim.close() }
  }
}

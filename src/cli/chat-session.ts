import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { buildApp } from '../app.ts'
import { loadConfig, type Config, type Environment } from '../config.ts'
import { createLogger } from '../logger.ts'
import { startSimulator, type Simulator } from '../simulator/simulator.ts'

/**
 * The token the fake API accepts. Not a secret (the fake listens on loopback only), and fixed so that the env line
 * printed for a running server stays the same from one chat to the next.
 */
export const CHAT_ACCESS_TOKEN = 'weibo-fanbot-chat'

export interface ChatSession {
  sim: Simulator
  callbackUrl: string
  /** The token the fake API accepts: the bot's WEIBO_ACCESS_TOKEN must be this. */
  accessToken: string
  /** Whether pushes are signed (a secret was given or found). */
  signed: boolean
  /** The bot when chat started it; undefined when it talks to a running server. */
  bot: FastifyInstance | undefined
  /**
   * In-process only: waits until the bot has no handler or late reply in flight, at most `timeoutMs`; true if it
   * got there. A server in another process cannot be asked; chat watches for the replies it expects instead.
   */
  settle?: (timeoutMs: number) => Promise<boolean>
  close: () => Promise<void>
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
}

/**
 * Starts the bot in this process and the simulator pointed at it. The bot needs the fake API's URL when it is
 * built, so the simulator (and its fake API) starts first and learns the bot's URL once the bot listens.
 */
export async function startInProcessChat (options: InProcessOptions): Promise<ChatSession> {
  const secret = options.secret ?? options.config().appSecret ?? randomBytes(16).toString('hex')
  const sim = await startSimulator({ secret: secret === '' ? undefined : secret, accessToken: CHAT_ACCESS_TOKEN, apiPort: options.apiPort ?? 0 })
  const config = loadConfig({
    ...options.env,
    WEIBO_API_BASE_URL: sim.apiBaseUrl,
    WEIBO_ACCESS_TOKEN: CHAT_ACCESS_TOKEN,
    WEIBO_APP_SECRET: secret, // '' (from --secret=) counts as unset: verification off, as asked
    ...(options.handlersDir === undefined ? {} : { HANDLERS_DIR: options.handlersDir }),
    // chat has already waited for late replies when it closes the bot; a long drain would only delay the exit.
    SHUTDOWN_TIMEOUT_MS: '500'
  })
  // The bot's log lines would tear the conversation apart on the terminal: to a file, or nowhere.
  const logger = options.logFile === undefined
    ? createLogger({ level: 'silent' })
    : createLogger({ level: config.logLevel, destination: pino.destination({ dest: options.logFile, sync: true, mkdir: true }) })
  let bot: Awaited<ReturnType<typeof buildApp>> | undefined
  let callbackUrl: string
  try {
    bot = await buildApp({ config, logger })
    callbackUrl = `${await bot.listen({ host: '127.0.0.1', port: 0 })}${config.callbackPath}`
    sim.setCallbackUrl(callbackUrl)
  } catch (error) {
    await bot?.close()
    await sim.close()
    throw error
  }
  const running = bot
  return {
    sim,
    callbackUrl,
    accessToken: CHAT_ACCESS_TOKEN,
    signed: secret !== '',
    bot: running,
    async settle (timeoutMs) {
      const timeout = sleep(timeoutMs, false, { ref: false })
      return await Promise.race([running.fanbot.dispatcher.idle().then(() => true), timeout])
    },
    async close () {
      // The bot first: its last late replies still need the fake API.
      await running.close()
      await sim.close()
    }
  }
}

export interface RemoteOptions {
  callbackUrl: string
  secret: string | undefined
  apiPort: number | undefined
}

/** Only the simulator: the bot is a server someone started, which must be pointed at the fake API by hand. */
export async function startRemoteChat (options: RemoteOptions): Promise<ChatSession> {
  const sim = await startSimulator({
    callbackUrl: options.callbackUrl,
    secret: options.secret,
    accessToken: CHAT_ACCESS_TOKEN,
    apiPort: options.apiPort ?? 0
  })
  return {
    sim,
    callbackUrl: options.callbackUrl,
    accessToken: CHAT_ACCESS_TOKEN,
    signed: options.secret !== undefined,
    bot: undefined,
    close: async () => { await sim.close() }
  }
}

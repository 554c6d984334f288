/**
 * The test kit (`weibo-fanbot/testing`): a handler author's test in a few lines.
 *
 *   const kit = await createTestKit({ handlersDir: 'handlers' })
 *   const result = await kit.send({ type: 'text', text: '你好' })
 *   assert.equal(result.transport, 'passive')
 *   await kit.close()
 *
 * Stream handlers (`on: 'status'`) are tested the same way: `await kit.publish({ text: '…', uid: '…' })`.
 *
 * The bot runs in-process with its real pipeline (signature, dedup, deadline, late replies) and replies through the
 * simulator's fake Weibo API on loopback, which enforces the platform's rules. Deadlines are short (50 ms unless
 * `env` says otherwise), so a test of the late path takes milliseconds.
 */
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import { loadConfig } from './config.ts'
import { dedupKey } from './dedup/dedup-key.ts'
import type { FanbotError } from './errors.ts'
import type { Handler } from './handler.ts'
import { describeHandlerFailure } from './handler-failure.ts'
import type { HandlerRun } from './handler-runner.ts'
import type { Middleware } from './middleware.ts'
import type { Logger } from './logger.ts'
import { parsePushBody } from './push-body.ts'
import { readPush } from './push-reader.ts'
import type { Article } from './reply.ts'
import { decodePassiveReplyBody } from './reply-encoding.ts'
import { signUrl, type Try } from './simulator/callback-client.ts'
import { createConversation, type Conversation } from './simulator/conversation.ts'
import { createFakeWeiboApi, type ApiCall, type FakeWeiboApi } from './simulator/fake-weibo-api.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_FAN_ID, makePush, pushToJson, type PushSpec } from './simulator/push-factory.ts'
import type { SessionData } from './session/session-store.ts'
import { recordLine, type PushRecordSpec } from './simulator/fake-push-stream.ts'
import { parseStreamRecord, type StreamRecord } from './push-stream/stream-record.ts'
import type { PlatformRules } from './simulator/reply-rules.ts'

export { makePush, pushToJson, type PushSpec } from './simulator/push-factory.ts'
export type { PushRecordSpec } from './simulator/fake-push-stream.ts'

export const KIT_SECRET = 'test-kit-app-secret'
export const KIT_TOKEN = 'test-kit-access-token'

/** One account of a kit playing several (as in WEIBO_ACCOUNTS_FILE); its token is `kitToken(uid)`. */
export interface KitAccount {
  uid: string
  /** Default: the kit's CALLBACK_PATH (`/weibo`). */
  callbackPath?: string
  /** Default: KIT_SECRET. */
  appSecret?: string
}

/** The access token the kit (and its fake Weibo) gives one of several accounts. */
export function kitToken (uid: string): string {
  return `${KIT_TOKEN}-${uid}`
}

export interface TestKitOptions {
  /** Handler and middleware objects to test; or give `handlersDir` to load a folder as the server does. */
  handlers?: ReadonlyArray<Handler | Middleware>
  handlersDir?: string
  /** Configuration overrides, by environment variable name (REPLY_DEADLINE_MS, HANDLER_TIMEOUT_MS…). */
  env?: Record<string, string | undefined>
  /** Clock of the 48-hour windows: the fake platform's and the bot's own reply tracking. */
  now?: () => number
  /** The platform's reply limits, for the fake Weibo and the bot's tracker (REPLY_WINDOW_MS and the quotas). */
  rules?: Partial<PlatformRules>
  logger?: Logger
  /**
   * Where a handler's failure is printed as it happens (one line: handler, code, reason), since a failed push
   * otherwise looks just like one no handler took: stderr by default (`true`); `false` for silence (the result
   * still has it); or a function that receives the lines.
   */
  printErrors?: boolean | ((line: string) => void)
  /**
   * Several accounts on one server, as a WEIBO_ACCOUNTS_FILE would list them: the fake Weibo plays each (with the
   * token `kitToken(uid)`), `send` signs a push with its receiver's secret at its receiver's callback path, and a
   * push without `receiverId` goes to the first. Default: the one account of WEIBO_ACCESS_TOKEN, as before.
   */
  accounts?: readonly KitAccount[]
}

export interface KitResult {
  /** How the reply reached the fan: in the response body, later through messages/reply, or not at all. */
  transport: 'passive' | 'active' | 'none'
  /** The reply as the fan gets it: its type and payload (`{ text }`, `{ articles }`, `{ longitude, latitude }`). */
  reply?: { type: string, data: unknown }
  /** The reply's text, when it is a text reply (the first part of a split one: `apiCalls` has every part). */
  text?: string
  /** The reply's articles, when it is an articles reply. */
  articles?: Article[]
  /** The handler that took the push (none matched: undefined). */
  handler?: string
  /** Why the handler gave no reply: it threw, ran out of time or returned an invalid reply (code and message). */
  error?: FanbotError
  /** The HTTP answer to Weibo (one try: the kit does not retry; use `kit.retry` to play Weibo's retry). */
  tries: Try[]
  /** Every call the bot made to the fake API while handling this push (refusals included). */
  apiCalls: ApiCall[]
  /** The push as sent (JSON text), for `kit.retry`. */
  body: string
}

export interface StreamKitResult {
  /** The record as the handler's message was made from it (ids as strings). */
  record: StreamRecord
  handler?: string
  error?: FanbotError
  /** The Weibo API calls the handler made (a direct message, usually). */
  apiCalls: ApiCall[]
}

export interface TestKit {
  /** Sends a push built from `spec` (each push gets its own `created_at`, one second after the last). */
  send: (spec: PushSpec) => Promise<KitResult>
  /** Sends a push given as JSON text (a saved push, a fixture), byte for byte. */
  sendRaw: (json: string) => Promise<KitResult>
  /** Sends the same push again, as Weibo's retry would. */
  retry: (previous: KitResult) => Promise<KitResult>
  /**
   * A commercial push stream record for handlers on `status` / `comment`: built like the simulator's stream writes
   * it, read like the bot's stream client reads it, and handled; resolves once its handler is done.
   */
  publish: (spec: PushRecordSpec) => Promise<StreamKitResult>
  /**
   * A fan's session as the bot stored it (`{}` when none): what the last successful runs left in `ctx.session`,
   * a conversation's step included. Defaults: the kit's fan and account (`kit.send` without `senderId`).
   */
  session: (fanId?: string, accountId?: string) => Promise<SessionData>
  app: FastifyInstance
  api: FakeWeiboApi
  conversation: Conversation
  close: () => Promise<void>
}

function replyOf (call: ApiCall): { type: string, data: unknown } {
  return { type: call.params.type ?? '', data: JSON.parse(call.params.data ?? 'null') as unknown }
}

/** The push's dedup key as the dispatcher computes it; undefined for a push the bot refuses or ignores. */
function keyOf (body: string): string | undefined {
  try {
    const reading = readPush(body)
    return reading.kind === 'message' ? dedupKey(reading.message) : undefined
  } catch {
    return undefined
  }
}

/** `text` or `articles` lifted out of the reply's payload, so a test reads `result.text`. */
function replyContent (reply: { type: string, data: unknown }): Pick<KitResult, 'text' | 'articles'> {
  const data = reply.data as { text?: unknown, articles?: unknown } | null
  if (reply.type === 'text' && typeof data?.text === 'string') return { text: data.text }
  if (reply.type === 'articles' && Array.isArray(data?.articles)) return { articles: data.articles as Article[] }
  return {}
}

/** What the handler runs of one push (or stream record) tell: who took it, and its failure if any. */
function runFacts (run: HandlerRun | undefined): Pick<KitResult, 'handler' | 'error'> {
  if (run === undefined) return {}
  return run.result.status === 'error' ? { handler: run.handler, error: run.result.error } : { handler: run.handler }
}

function quotaEnv (rules: Partial<PlatformRules> | undefined): Record<string, string> {
  const env: Record<string, string> = {}
  if (rules?.windowMs !== undefined) env.REPLY_WINDOW_MS = String(rules.windowMs)
  if (rules?.repliesPerWindow !== undefined) env.REPLY_QUOTA_PER_WINDOW = String(rules.repliesPerWindow)
  if (rules?.repliesPerMention !== undefined) env.REPLY_QUOTA_PER_MENTION = String(rules.repliesPerMention)
  return env
}

export async function createTestKit (options: TestKitOptions = {}): Promise<TestKit> {
  const conversation = createConversation()
  const [firstAccount, ...moreAccounts] = options.accounts ?? []
  const api = createFakeWeiboApi({
    accessToken: firstAccount === undefined ? KIT_TOKEN : kitToken(firstAccount.uid),
    ...(firstAccount === undefined ? {} : { accountId: firstAccount.uid, moreAccounts: moreAccounts.map((account) => ({ uid: account.uid, accessToken: kitToken(account.uid) })) }),
    conversation,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.rules === undefined ? {} : { rules: options.rules })
  })
  const apiBaseUrl = await api.listen()
  // Runs by dedup key: a push's result is told its own handler's run, even with several pushes in flight.
  const runs = new Map<string, HandlerRun>()
  const toStderr = (line: string): void => { process.stderr.write(`weibo-fanbot kit: ${line}\n`) }
  const printError = options.printErrors === false
    ? undefined
    : typeof options.printErrors === 'function' ? options.printErrors : toStderr
  const onHandlerRun = (run: HandlerRun): void => {
    runs.set(run.dedupKey, run)
    const failure = describeHandlerFailure(run)
    if (failure !== undefined) printError?.(failure)
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REPLY_DEADLINE_MS: '50',
    WEIBO_API_RETRY_MIN_MS: '1',
    // No overload shedding: a test process compiling TypeScript on a busy machine stalls its event loop for a
    // second, and its pushes would get 503s that no deployment would. (env can turn it back on.)
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...(options.handlersDir === undefined ? {} : { HANDLERS_DIR: options.handlersDir }),
    // The bot tracks the same reply rules as the fake Weibo it talks to.
    ...quotaEnv(options.rules),
    ...options.env,
    WEIBO_APP_SECRET: KIT_SECRET,
    WEIBO_ACCESS_TOKEN: firstAccount === undefined ? KIT_TOKEN : undefined,
    // Every Weibo host is the fake: replies, commercial APIs, media downloads, eps and the push stream.
    WEIBO_API_BASE_URL: apiBaseUrl,
    WEIBO_C_API_BASE_URL: apiBaseUrl,
    WEIBO_UPLOAD_API_BASE_URL: apiBaseUrl,
    WEIBO_OPEN_API_BASE_URL: apiBaseUrl,
    WEIBO_PUSH_URL: `${apiBaseUrl}/commercial/push`
  })
  const app = await buildApp({
    config,
    ...(options.handlers === undefined ? {} : { handlers: options.handlers }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.accounts === undefined ? {} : { accounts: options.accounts.map((account) => ({ ...account, accessToken: kitToken(account.uid) })) }),
    onHandlerRun
  })
  let clock = Date.now()

  /** Where Weibo would post a push for `receiverId`, signed as it would: its account's path and secret. */
  function callbackOf (receiverId: unknown): { path: string, secret: string } {
    const account = app.fanbot.accounts.find(String(receiverId)) ?? app.fanbot.accounts.list[0]
    return { path: account?.callbackPath ?? config.callbackPath, secret: account?.appSecret ?? KIT_SECRET }
  }

  async function deliver (body: string): Promise<KitResult> {
    const push = parsePushBody(body) as { type: string, sender_id: string | number, receiver_id?: string | number, text?: string, data?: unknown }
    const callback = callbackOf(push.receiver_id)
    api.recordFanActivity(push)
    const key = keyOf(body)
    if (key !== undefined) runs.delete(key) // a retry runs no handler: its result tells none
    const callsBefore = api.calls.length
    const started = performance.now()
    const response = await app.inject({
      method: 'POST',
      url: signUrl({ url: `http://localhost${callback.path}`, secret: callback.secret }).replace('http://localhost', ''),
      headers: { 'content-type': 'application/json' },
      payload: body
    })
    const tries: Try[] = [{ attempt: 1, startedAtMs: 0, durationMs: Math.round(performance.now() - started), status: response.statusCode, body: response.body }]
    await app.fanbot.dispatcher.idle() // the late path included: handler done, late reply sent or refused
    const apiCalls = api.calls.slice(callsBefore)
    const facts = key === undefined ? {} : runFacts(runs.get(key))
    if (key !== undefined) runs.delete(key)
    if (response.statusCode === 200 && response.body !== '') {
      const decoded = decodePassiveReplyBody(response.body)
      const reply = { type: decoded.type, data: decoded.data }
      api.recordPassiveReply(String(push.sender_id), reply)
      return { transport: 'passive', reply, ...replyContent(reply), ...facts, tries, apiCalls, body }
    }
    const sent = apiCalls.find((call) => call.path.startsWith('/2/messages/reply') && call.status === 200)
    if (sent === undefined) return { transport: 'none', ...facts, tries, apiCalls, body }
    const reply = replyOf(sent)
    return { transport: 'active', reply, ...replyContent(reply), ...facts, tries, apiCalls, body }
  }

  return {
    app,
    api,
    conversation,
    async send (spec) {
      clock = Math.max(clock + 1000, Date.now())
      return await deliver(pushToJson(makePush({ createdAt: new Date(clock), ...(firstAccount === undefined ? {} : { receiverId: firstAccount.uid }), ...spec })))
    },
    sendRaw: async (json) => await deliver(json),
    async publish (spec) {
      const record = parseStreamRecord(recordLine(api.pushStream.publish(spec)).toString('utf8'))
      const callsBefore = api.calls.length
      const key = `stream:${record.id}`
      await app.fanbot.streamDispatcher.dispatch(record)
      const facts = runFacts(runs.get(key))
      runs.delete(key)
      return { record, ...facts, apiCalls: api.calls.slice(callsBefore) }
    },
    retry: async (previous) => await deliver(previous.body),
    async session (fanId = DEFAULT_FAN_ID, accountId = firstAccount?.uid ?? DEFAULT_ACCOUNT_ID) {
      const stored = await app.fanbot.sessions.load(`${accountId}:${fanId}`)
      return JSON.parse(stored.json) as SessionData
    },
    async close () {
      await app.close()
      await api.close()
    }
  }
}

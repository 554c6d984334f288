import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify'
import { pino } from 'pino'
import { z } from 'zod'
import type { Logger } from '../logger.ts'
import { WeiboIdSchema } from '../message-schema.ts'
import { createCallLog, type ApiCall } from './api-call-log.ts'
import { applyFault, createFaultQueue, type Fault } from './api-faults.ts'
import { createConversation, type Conversation } from './conversation.ts'
import { createMessageIds, type FakeAccount, type FakeApiContext } from './fake-api-context.ts'
import { WeiboRefusal } from './fake-api-errors.ts'
import { FORM_CONTENT_TYPE, parseForm, readParams, redactParams, sameToken } from './fake-api-params.ts'
import { DIRECT_MESSAGE_PATH, fakeDirectMessageRoute } from './fake-direct-message-route.ts'
import { fakeMsgetRoute, MSGET_PATH } from './fake-msget-route.ts'
import { createFakePushStream, type FakePushStream, type PushStreamOptions } from './fake-push-stream.ts'
import { fakePushStreamRoute, PUSH_STREAM_PATH } from './fake-push-stream-route.ts'
import { fakeReplyRoute, REPLY_PATHS } from './fake-reply-route.ts'
import { fakeEpsRoutes, QRCODE_CREATE_PATH, USER_INFO_PATH } from './fake-eps-routes.ts'
import { fakeMenuRoute, MENU_PATHS } from './fake-menu-route.ts'
import { fakeSendAllRoute, SEND_ALL_PATH } from './fake-send-all-route.ts'
import { DEFAULT_ACCOUNT_ID } from './push-factory.ts'
import { activityOf, createReplyRules, type PlatformRules, type ReplyRules } from './reply-rules.ts'
import { describeZodError } from '../describe-zod-error.ts'

export type { ApiCall } from './api-call-log.ts'
export type { Fault } from './api-faults.ts'
export type { PlatformRules } from './reply-rules.ts'
export type { FakePushStream, PushRecordSpec, PushStreamConnection, PushStreamOptions, PushStreamRecord } from './fake-push-stream.ts'

export interface FakeWeiboApiOptions {
  /** The only token the fake accepts. */
  accessToken: string
  /** Our bot's uid; defaults to the push factory's account. */
  accountId?: string
  /**
   * More accounts the fake plays beside that one (several accounts on one server): each token is accepted and
   * answers as its uid, with reply rules of its own. The call log names the account of every call.
   */
  moreAccounts?: ReadonlyArray<{ uid: string, accessToken: string }>
  /** Clock in ms for the reply windows and timestamps; injectable so a test can move 48 hours in no time. */
  now?: () => number
  rules?: Partial<PlatformRules>
  /** Shared with the simulator, so pushes and replies land in one conversation. */
  conversation?: Conversation
  /** Defaults to silent. */
  logger?: Logger
  /** The commercial/push stream's subscription id, timings and replay size (protocol §8 defaults). */
  pushStream?: PushStreamOptions
}

/** A push as the simulator delivers it; only these fields matter to the fake. */
export interface FanPush {
  type: string
  sender_id: string | number
  /** The account written to (default: the first account). */
  receiver_id?: string | number
  text?: string
  data?: unknown
}

export interface FakeWeiboApi {
  /** For `app.inject()`; never listening until `listen()`. */
  app: FastifyInstance
  /** Listens on loopback (127.0.0.1, a free port unless given) and returns the base URL. */
  listen: (options?: { host?: string, port?: number }) => Promise<string>
  /** The base URL; throws when not listening. */
  readonly baseUrl: string
  close: () => Promise<void>
  /** A push the simulator delivered: updates the fan's reply window and adds the fan's line to the conversation. */
  recordFanActivity: (push: FanPush) => void
  /** A push that got a passive reply: adds the bot's line to the conversation. */
  recordPassiveReply: (fanId: string, reply: { type: string, data: unknown }) => void
  /** Every call received, in arrival order, the token redacted. */
  readonly calls: readonly ApiCall[]
  faults: { inject: (fault: Fault, times?: number) => void, clear: () => void }
  /** The reply rules engine (the first account's), for a test or the CLI to inspect a fan's window and quota. */
  rules: ReplyRules
  /** The reply rules of one account (undefined for a uid the fake does not play). */
  rulesFor: (uid: string) => ReplyRules | undefined
  /** The commercial/push stream's records and open connections: publish records, refuse the IP, drop clients. */
  pushStream: FakePushStream
}

const KNOWN_ROUTES: ReadonlyMap<string, string> = new Map([
  ...REPLY_PATHS.map((path) => [path, 'POST'] as const),
  [DIRECT_MESSAGE_PATH, 'POST'],
  [MSGET_PATH, 'GET'],
  [MENU_PATHS.create, 'POST'],
  [MENU_PATHS.show, 'GET'],
  [MENU_PATHS.delete, 'POST'],
  [USER_INFO_PATH, 'GET'],
  [QRCODE_CREATE_PATH, 'POST'],
  [SEND_ALL_PATH, 'POST'],
  [PUSH_STREAM_PATH, 'GET']
])

const FanPushSchema = z.object({
  type: z.string().min(1),
  sender_id: WeiboIdSchema,
  receiver_id: WeiboIdSchema.optional(),
  text: z.string().optional(),
  data: z.unknown().optional()
})

/** The path without the query: the query may carry the token, and Weibo's `request` field has none. */
function pathOf (url: string): string {
  return url.split('?')[0] ?? url
}

function toRefusal (error: unknown): WeiboRefusal {
  if (error instanceof WeiboRefusal) return error
  const fastifyError = error as { code?: unknown, statusCode?: unknown, message?: unknown }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new WeiboRefusal('BODY_TOO_LARGE')
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return new WeiboRefusal('PARAM_INVALID', String(fastifyError.message))
  }
  return new WeiboRefusal('SYSTEM_ERROR')
}

/**
 * The fake Weibo API of the local simulator: `messages/reply` (and `/biz`), `direct_messages/send`, `mss/msget`,
 * `messages/menu/*`, `messages/sendall`, `eps/user/info`, `eps/qrcode/create` and the `commercial/push` stream,
 * checking what the real one checks and enforcing the platform's reply rules, with Weibo's error JSON. Usable
 * in-process through `app.inject()` or over loopback HTTP after `listen()`.
 */
export function createFakeWeiboApi (options: FakeWeiboApiOptions): FakeWeiboApi {
  const now = options.now ?? Date.now
  const logger = options.logger ?? pino({ level: 'silent' })
  const rules = createReplyRules({ rules: options.rules, now })
  const conversation = options.conversation ?? createConversation()
  const accounts: FakeAccount[] = [
    { uid: options.accountId ?? DEFAULT_ACCOUNT_ID, accessToken: options.accessToken, rules },
    ...(options.moreAccounts ?? []).map((account) => ({ ...account, rules: createReplyRules({ rules: options.rules, now }) }))
  ]
  // Playing one account, the fake takes every push as written to it (as before several accounts were possible).
  const accountOf = (uid: string | undefined): FakeAccount | undefined =>
    uid === undefined || accounts.length === 1 ? accounts[0] : accounts.find((account) => account.uid === uid)
  const context: FakeApiContext = {
    accounts,
    now,
    conversation,
    nextMessageId: createMessageIds()
  }
  const faults = createFaultQueue()
  const pushStream = createFakePushStream({ ...options.pushStream, now, accountId: accounts[0]?.uid ?? DEFAULT_ACCOUNT_ID, logger })
  const log = createCallLog()
  const callOf = new WeakMap<FastifyRequest, ApiCall>()

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Request lines would carry URLs with the token; the fake writes its own line per call, redacted.
    logController: new LogController({ disableRequestLogging: true })
  })
  // Every body is accepted as text so that a wrong Content-Type reaches the route and gets Weibo's 10007.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, (_request, body, done) => { done(null, parseForm(String(body))) })
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })

  app.addHook('onRequest', async (request) => {
    // Recorded on arrival, so calls keep their order even when one is delayed or its body is refused.
    callOf.set(request, log.start({ path: pathOf(request.url), method: request.method, params: redactParams(readParams(request)), at: now() }))
  })
  app.addHook('preHandler', async (request, reply) => {
    const call = callOf.get(request)
    if (call !== undefined) {
      const params = readParams(request)
      call.params = redactParams(params)
      // Which account's token the call carried: a test of several accounts checks it was the push's account.
      const token = params.access_token
      const account = token === undefined ? undefined : accounts.find((candidate) => sameToken(token, candidate.accessToken))
      if (account !== undefined) call.account = account.uid
    }
    const fault = faults.take()
    if (fault === undefined) return
    if (call !== undefined) call.fault = fault.kind
    const outcome = await applyFault(fault, reply)
    if (outcome.handled && outcome.dropped) {
      logger.debug({ weiboApi: { method: request.method, path: pathOf(request.url), fault: fault.kind } }, 'fake Weibo API dropped the connection')
    }
    if (outcome.handled) return reply
  })
  app.addHook('onSend', async (request, reply, payload) => {
    const call = callOf.get(request)
    const contentType = reply.getHeader('content-type')
    if (call !== undefined) {
      log.finish(call, { status: reply.statusCode, contentType: typeof contentType === 'string' ? contentType : undefined, payload })
      const response = call.response as { error_code?: unknown } | undefined
      logger.debug({ weiboApi: { method: call.method, path: call.path, status: call.status, errorCode: response?.error_code, fault: call.fault } },
        'fake Weibo API answered')
    }
    return payload
  })
  app.setErrorHandler(async (error, request, reply) => {
    const refusal = toRefusal(error)
    if (refusal.errorName === 'SYSTEM_ERROR' && !(error instanceof WeiboRefusal)) {
      logger.error({ err: error, weiboApi: { path: pathOf(request.url) } }, 'fake Weibo API failed')
    }
    return await reply.code(refusal.status).send(refusal.body(pathOf(request.url)))
  })
  app.setNotFoundHandler(async (request) => {
    const path = pathOf(request.url)
    const method = KNOWN_ROUTES.get(path)
    throw method === undefined
      ? new WeiboRefusal('API_NOT_FOUND', path)
      : new WeiboRefusal('METHOD_NOT_ALLOWED', `${path} takes ${method}`)
  })

  fakeReplyRoute(app, context)
  fakeDirectMessageRoute(app, context)
  fakeMsgetRoute(app, context)
  fakeMenuRoute(app, context)
  fakeEpsRoutes(app, context)
  fakeSendAllRoute(app, context)
  fakePushStreamRoute(app, { hub: pushStream, callOf: (request) => callOf.get(request) })
  // Open streams would keep the server from closing: end them first (cleanly; destroyed if still open after 1 s).
  // Node's close() then closes idle keep-alive sockets, but not one that never carried a request, such as the spare
  // connection fetch (undici) opens after a stream it cancelled: that one would hold close() up for about a minute.
  const sockets = new Set<Socket>()
  const busy = new Set<Socket>()
  app.server.on('connection', (socket: Socket) => { sockets.add(socket); socket.once('close', () => { sockets.delete(socket) }) })
  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    busy.add(request.socket)
    response.once('close', () => { busy.delete(request.socket) })
  })
  app.addHook('preClose', async () => {
    await pushStream.closeAll()
    for (const socket of sockets) if (!busy.has(socket)) socket.destroy()
  })

  let baseUrl: string | undefined

  return {
    app,
    async listen (listenOptions = {}) {
      if (baseUrl !== undefined) throw new Error(`the fake Weibo API already listens at ${baseUrl}`)
      await app.listen({ host: listenOptions.host ?? '127.0.0.1', port: listenOptions.port ?? 0 })
      const address = app.server.address()
      if (typeof address !== 'object' || address === null) throw new Error('the fake Weibo API is not listening on a TCP port')
      // A wildcard address cannot be connected to by name everywhere: hand out loopback instead.
      const host = address.address === '0.0.0.0' || address.address === '::'
        ? '127.0.0.1'
        : address.family === 'IPv6' ? `[${address.address}]` : address.address
      baseUrl = `http://${host}:${address.port}`
      return baseUrl
    },
    get baseUrl () {
      if (baseUrl === undefined) throw new Error('the fake Weibo API is not listening: call listen() first')
      return baseUrl
    },
    async close () {
      await app.close()
      baseUrl = undefined
    },
    recordFanActivity (push) {
      const parsed = FanPushSchema.safeParse(push)
      if (!parsed.success) throw new TypeError(`not a push: ${describeZodError(parsed.error)}`)
      const { type, sender_id: fanId, text, data } = parsed.data
      // A push for an account the fake does not play (a test of the bot's refusal) opens no window anywhere.
      const account = accountOf(parsed.data.receiver_id)
      const subtype = typeof data === 'object' && data !== null ? (data as { subtype?: unknown }).subtype : undefined
      conversation.add({ from: 'fan', fanId, at: now(), type, ...(typeof subtype === 'string' ? { subtype } : {}), text: text ?? '' })
      const activity = activityOf({ type, data })
      if (activity !== undefined) account?.rules.record(fanId, activity)
    },
    recordPassiveReply (fanId, reply) {
      // Passive replies do not count against the active quota: the 99-per-48-h quota is Weibo's limit on
      // customer-service messages (messages/reply), and a passive reply is the answer to the fan's own push, one
      // per push, inside Weibo's 5-second wait. Nor does it need an open window: the push itself is the fan writing.
      conversation.add({ from: 'bot', fanId, at: now(), via: 'passive', type: reply.type, data: reply.data })
    },
    get calls () { return log.calls },
    faults: { inject: faults.inject, clear: faults.clear },
    rules,
    rulesFor: (uid) => accountOf(uid)?.rules,
    pushStream
  }
}

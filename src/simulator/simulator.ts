import type { Logger } from '../logger.ts'
import { parsePushBody } from '../push-body.ts'
import { deliverPush, verifyCallbackUrl, type DeliveryResult, type VerifyResult } from './callback-client.ts'
import { createConversation, type Conversation } from './conversation.ts'
import { createFakeWeiboApi, type FakeWeiboApi } from './fake-weibo-api.ts'
import type { FakePushStream, PushStreamOptions } from './fake-push-stream.ts'
import { PUSH_STREAM_PATH } from './fake-push-stream-route.ts'
import { makePush, pushToJson, type PushSpec } from './push-factory.ts'
import type { PlatformRules } from './reply-rules.ts'

export interface SimulatorOptions {
  /**
   * The bot's callback URL, e.g. http://127.0.0.1:3000/weibo. May be set later with `setCallbackUrl`, since a bot
   * started after the simulator needs the fake API's URL first.
   */
  callbackUrl?: string
  /** The app secret to sign with; undefined sends unsigned requests. */
  secret: string | undefined
  /** The token the fake API accepts (the bot's WEIBO_ACCESS_TOKEN). */
  accessToken: string
  /**
   * Several accounts: the uids and tokens the fake API plays (the first replaces `accessToken`'s default account).
   * A push goes to the account of its `receiverId`.
   */
  accounts?: ReadonlyArray<{ uid: string, accessToken: string }>
  /** Where the fake API listens; port 0 (default) picks a free one. */
  apiPort?: number
  /** Clock for the platform's reply windows, injectable in tests. */
  now?: () => number
  rules?: Partial<PlatformRules>
  /** Weibo's wait per try (5 s) and tries (3); shorter in tests. */
  waitMs?: number
  tries?: number
  logger?: Logger
  /** The fake commercial/push stream's subscription id and timings (protocol §8 defaults). */
  pushStream?: PushStreamOptions
}

export interface SimulatedPush {
  /** The push as sent (JSON text). */
  body: string
  delivery: DeliveryResult
}

export interface Simulator {
  readonly api: FakeWeiboApi
  /** Point the bot's WEIBO_API_BASE_URL here. */
  readonly apiBaseUrl: string
  /** The commercial/push endpoint, `${apiBaseUrl}/commercial/push`, for the bot's stream client (subid and since_id go in the query). */
  readonly pushStreamUrl: string
  /** Publishes records to the stream and controls its connections; the same object as `api.pushStream`. */
  readonly pushStream: FakePushStream
  readonly conversation: Conversation
  /** Sends a push as Weibo would: built from a spec, or a saved push's JSON text (replayed with a fresh signature). */
  push: (push: PushSpec | string) => Promise<SimulatedPush>
  verify: () => Promise<VerifyResult>
  /** Points the simulator at the bot's callback URL. */
  setCallbackUrl: (url: string) => void
  close: () => Promise<void>
}

/**
 * A local Weibo, both directions: it delivers pushes to a callback URL as Weibo does, and serves the fake API the
 * bot replies through, enforcing the platform's reply rules. The conversation records what the fan would see.
 */
export async function startSimulator (options: SimulatorOptions): Promise<Simulator> {
  const conversation = createConversation()
  const [first, ...more] = options.accounts ?? []
  const api = createFakeWeiboApi({
    accessToken: first?.accessToken ?? options.accessToken,
    ...(first === undefined ? {} : { accountId: first.uid, moreAccounts: more }),
    conversation,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.rules === undefined ? {} : { rules: options.rules }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.pushStream === undefined ? {} : { pushStream: options.pushStream })
  })
  const apiBaseUrl = await api.listen({ port: options.apiPort ?? 0 })
  let callbackUrl = options.callbackUrl
  const target = (): string => {
    if (callbackUrl === undefined) throw new Error('the simulator has no callback URL yet: call setCallbackUrl first')
    return callbackUrl
  }

  return {
    api,
    apiBaseUrl,
    pushStreamUrl: `${apiBaseUrl}${PUSH_STREAM_PATH}`,
    pushStream: api.pushStream,
    conversation,
    async push (push) {
      const body = typeof push === 'string' ? push : pushToJson(makePush(push))
      const parsed = parsePushBody(body) as { type: string, sender_id: string | number, text?: string, data?: unknown }
      // The fan's message opens the reply window before the bot can answer it, as on the real platform.
      api.recordFanActivity(parsed)
      const delivery = await deliverPush({
        url: target(),
        secret: options.secret,
        body,
        ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
        ...(options.tries === undefined ? {} : { tries: options.tries })
      })
      if (delivery.outcome === 'passive' && delivery.reply !== undefined) {
        api.recordPassiveReply(String(parsed.sender_id), { type: delivery.reply.type, data: delivery.reply.data })
      }
      return { body, delivery }
    },
    verify: async () => await verifyCallbackUrl({
      url: target(),
      secret: options.secret,
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs })
    }),
    setCallbackUrl (url) { callbackUrl = url },
    close: async () => { await api.close() }
  }
}

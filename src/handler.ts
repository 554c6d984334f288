import type { Logger } from './logger.ts'
import type {
  EventMessage, EventSubtype, ImageMessage, MentionMessage, MentionSubtype, Message, PositionMessage, TextMessage, VoiceMessage
} from './message-schema.ts'
import type { Reply } from './reply.ts'
import type { CommentStreamMessage, StatusStreamMessage, StreamMessage, StreamType } from './push-stream/stream-message.ts'
import type { DownloadedMedia } from './weibo-api/media.ts'
import type { WeiboApiClient } from './weibo-api/client.ts'
import type { SessionData } from './session/session-store.ts'

/**
 * What a handler listens to: a message type, an event or mention subtype (`event:follow`), everything a fan sends
 * (`*`), or a record of the commercial push stream (`status`, `comment`; never matched by `*`).
 */
export type Trigger =
  | Message['type']
  | `event:${EventSubtype}`
  | `mention:${MentionSubtype}`
  | StreamType
  | '*'

interface MessageByTrigger {
  text: TextMessage
  position: PositionMessage
  voice: VoiceMessage
  image: ImageMessage
  event: EventMessage
  mention: MentionMessage
  status: StatusStreamMessage
  comment: CommentStreamMessage
  '*': Message
}

/** The message type a handler receives for a trigger: `'event:follow'` narrows `data.subtype` to `'follow'`. */
export type MessageFor<T extends Trigger> =
  T extends `event:${infer S extends EventSubtype}` ? EventMessage<S>
    : T extends `mention:${infer S extends MentionSubtype}` ? MentionMessage<S>
      : T extends keyof MessageByTrigger ? MessageByTrigger[T]
        : never

/**
 * `S` is the session's shape, for a handler that declares one: `defineHandler<'text', OrderSession>({ … })`.
 * It is a promise the handler makes, not a check: the stored session is whatever earlier runs left in it.
 */
export interface HandlerContext<S extends object = SessionData> {
  /** A child logger carrying the handler's name and the push's dedup key. */
  log: Logger
  /** Fires at HANDLER_TIMEOUT_MS, or when shutdown's grace period ends: stop work and return. */
  signal: AbortSignal
  /** The Weibo API client (active replies and more). */
  api: WeiboApiClient
  /** The push's dedup key: stable across Weibo's retries of the same message (`stream:<id>` for a stream record). */
  dedupKey: string
  /**
   * The file of a voice or image push, in memory (`mss/msget` with its `data.tovfid`): the push being handled
   * when none is given. To stream a large file to disk instead, use `ctx.api.media.downloadTo(tovfid, path)`.
   */
  download: (message?: VoiceMessage | ImageMessage) => Promise<DownloadedMedia>
  /**
   * The fan's session (per receiving account and fan): loaded before the run, saved after it when it changed and
   * the run succeeded. JSON-serialisable values only. Empty and never saved for a push stream record.
   */
  session: S
  /** Scratch space for this push only (never stored): what middleware hand on to the handler. */
  state: Record<string, unknown>
}

/** What a `match` function gets beside the message: the fan's session, to route by a conversation's state. */
export interface MatchContext<S extends object = SessionData> {
  session: S
}

// Declared through a method so that it is checked bivariantly, like `handle`: a `Handler<'text'>` must stand in a
// list of `Handler`s even though its `match` only accepts text messages.
type MatchFunction<M, S extends object> = { bivarianceHack (message: M, ctx: MatchContext<S>): boolean }['bivarianceHack']

export type HandlerResult = Reply | undefined | void

export interface Handler<T extends Trigger = Trigger, S extends object = SessionData> {
  /** Shown in logs; defaults to the file name (plus `#index` for arrays). */
  name?: string
  on: T | readonly T[]
  /** A string matches the text exactly; a RegExp is tested on the text; a function gets the whole message. */
  match?: string | RegExp | MatchFunction<MessageFor<T>, S>
  /** Higher runs first; ties go by file name. `'*'` handlers always come after all others. */
  priority?: number
  /**
   * True when `handle` or `match` uses `ctx.session` (or `{ session }`): the pushes this handler could take then
   * load the fan's session and take his turn (one push of a fan at a time). Without it they skip both, and
   * `ctx.session` throws `WEIBO_ERR_SESSION_UNDECLARED`. `conversation()` sets it.
   */
  session?: boolean
  /** Only pushes to these accounts (uids of WEIBO_ACCOUNTS_FILE); absent: every account. */
  accounts?: readonly string[]
  // Method syntax on purpose: it lets a `Handler<'text'>` stand in a list of `Handler`s.
  handle (message: MessageFor<T>, ctx: HandlerContext<S>): HandlerResult | Promise<HandlerResult>
}

/**
 * Identity helper: it only adds types, so `export default defineHandler({ on: 'text', handle (m) { … } })`.
 * With a session shape: `defineHandler<'text', { visits?: number }>({ … })`.
 */
export function defineHandler<const T extends Trigger, S extends object = SessionData> (handler: Handler<T, S>): Handler<T, S> {
  return handler
}

/** A handler as loaded: normalised, with where it came from. */
export interface LoadedHandler {
  name: string
  file: string
  triggers: readonly Trigger[]
  priority: number
  /** Load order (file name order, then position in the file's array). */
  order: number
  /** Declared `session: true`: its pushes load the fan's session and take his turn. */
  session: boolean
  match: Handler['match']
  /** Only pushes to these accounts; undefined: every account. */
  accounts?: readonly string[] | undefined
  handle: (message: AnyMessage, ctx: HandlerContext) => HandlerResult | Promise<HandlerResult>
}

/** What a handler can be given: a fan's push, or a commercial push stream record. */
export type AnyMessage = Message | StreamMessage

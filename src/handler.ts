import type { Logger } from './logger.ts'
import type {
  EventMessage, EventSubtype, ImageMessage, MentionMessage, MentionSubtype, Message, PositionMessage, TextMessage, VoiceMessage
} from './message-schema.ts'
import type { Reply } from './reply.ts'
import type { WeiboApiClient } from './weibo-api-client.ts'

/** What a handler listens to: a message type, an event or mention subtype (`event:follow`), or everything (`*`). */
export type Trigger =
  | Message['type']
  | `event:${EventSubtype}`
  | `mention:${MentionSubtype}`
  | '*'

interface MessageByTrigger {
  text: TextMessage
  position: PositionMessage
  voice: VoiceMessage
  image: ImageMessage
  event: EventMessage
  mention: MentionMessage
  '*': Message
}

/** The message type a handler receives for a trigger: `'event:follow'` narrows `data.subtype` to `'follow'`. */
export type MessageFor<T extends Trigger> =
  T extends `event:${infer S extends EventSubtype}` ? EventMessage<S>
    : T extends `mention:${infer S extends MentionSubtype}` ? MentionMessage<S>
      : T extends keyof MessageByTrigger ? MessageByTrigger[T]
        : never

export interface HandlerContext {
  /** A child logger carrying the handler's name and the push's dedup key. */
  log: Logger
  /** Fires at HANDLER_TIMEOUT_MS, or when shutdown's grace period ends: stop work and return. */
  signal: AbortSignal
  /** The Weibo API client (active replies and more). */
  api: WeiboApiClient
  /** The push's dedup key: stable across Weibo's retries of the same message. */
  dedupKey: string
}

export type HandlerResult = Reply | undefined | void

export interface Handler<T extends Trigger = Trigger> {
  /** Shown in logs; defaults to the file name (plus `#index` for arrays). */
  name?: string
  on: T | readonly T[]
  /** A string matches the text exactly; a RegExp is tested on the text; a function gets the whole message. */
  match?: string | RegExp | ((message: MessageFor<T>) => boolean)
  /** Higher runs first; ties go by file name. `'*'` handlers always come after all others. */
  priority?: number
  // Method syntax on purpose: it lets a `Handler<'text'>` stand in a list of `Handler`s.
  handle (message: MessageFor<T>, ctx: HandlerContext): HandlerResult | Promise<HandlerResult>
}

/** Identity helper: it only adds types, so `export default defineHandler({ on: 'text', handle (m) { … } })`. */
export function defineHandler<const T extends Trigger> (handler: Handler<T>): Handler<T> {
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
  match: Handler['match']
  handle: (message: Message, ctx: HandlerContext) => HandlerResult | Promise<HandlerResult>
}

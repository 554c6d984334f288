import { FanbotError } from './errors.ts'
import type { AnyMessage, HandlerContext } from './handler.ts'
import type { Logger } from './logger.ts'
import type { ImageMessage, VoiceMessage } from './message-schema.ts'
import type { SessionData } from './session/session-store.ts'
import type { DownloadedMedia } from './weibo-api/media.ts'
import type { WeiboApiClient } from './weibo-api/client.ts'

function isMediaMessage (message: AnyMessage): message is VoiceMessage | ImageMessage {
  return message.type === 'voice' || message.type === 'image'
}

export interface RunContextInput {
  /** Read when needed: a middleware chain's name is the middleware running at that moment. */
  handler: { readonly name: string }
  message: AnyMessage
  dedupKey: string
  api: WeiboApiClient
  logger: Logger
  /** Holds the fan's session (`ctx.session` reads and writes `value`: a handler may replace the whole object). */
  session: { value: SessionData }
}

/**
 * The `ctx` a handler gets: one per run. A class with its accessors on the prototype, not an object literal with
 * getters: V8 builds such a literal through the runtime, accessor by accessor (~1.2 KB and microseconds per push,
 * measured in bench/README.md), where a class instance is a few fields. The logger child, the AbortSignal and the
 * state object cost more than most handlers: each is made only when the handler first reads it.
 *
 * Its accessors live on the prototype, so `{ ...ctx }` copies `api`, `dedupKey` and `download` only; `ctx` logged
 * or serialised shows its dedup key, session and state (`toJSON`).
 */
export class RunContext implements HandlerContext {
  readonly api: WeiboApiClient
  readonly dedupKey: string
  readonly #input: RunContextInput
  #log: Logger | undefined
  #controller: AbortController | undefined
  #stopReason: FanbotError | undefined
  #state: Record<string, unknown> | undefined

  constructor (input: RunContextInput) {
    this.#input = input
    this.api = input.api
    this.dedupKey = input.dedupKey
  }

  get log (): Logger {
    this.#log ??= this.#input.logger.child({ handler: this.#input.handler.name, dedupKey: this.dedupKey })
    return this.#log
  }

  get signal (): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#stopReason !== undefined) this.#controller.abort(this.#stopReason)
    }
    return this.#controller.signal
  }

  get session (): SessionData { return this.#input.session.value }
  set session (value: SessionData) { this.#input.session.value = value }

  get state (): Record<string, unknown> {
    this.#state ??= {}
    return this.#state
  }

  set state (value: Record<string, unknown>) { this.#state = value }

  /** An own arrow function, not a method: `const { download } = ctx` keeps working. */
  readonly download = async (target?: VoiceMessage | ImageMessage): Promise<DownloadedMedia> => {
    const { message, handler } = this.#input
    const media = target ?? (isMediaMessage(message) ? message : undefined)
    if (media === undefined) {
      throw new FanbotError('WEIBO_ERR_API_INVALID_REQUEST', { detail: `ctx.download() needs a voice or image message; ${handler.name} is handling a ${message.type} message` })
    }
    return await this.api.downloadMedia(media)
  }

  toJSON (): { dedupKey: string, session: SessionData, state: Record<string, unknown> } {
    return { dedupKey: this.dedupKey, session: this.session, state: this.#state ?? {} }
  }

  /**
   * The runner's, not the handler's: stops the run (timeout, shutdown). The signal fires now if it was read, or as
   * soon as it is read. Returns false when the run was stopped already.
   */
  static stop (ctx: RunContext, reason: FanbotError): boolean {
    if (ctx.#stopReason !== undefined) return false
    ctx.#stopReason = reason
    ctx.#controller?.abort(reason)
    return true
  }
}

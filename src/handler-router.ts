import type { AnyMessage, LoadedHandler, MatchContext } from './handler.ts'
import { servesAccount } from './handler-accounts.ts'
import type { Logger } from './logger.ts'
import { isStreamMessage } from './push-stream/stream-message.ts'

export interface HandlerRouter {
  /** The handler that takes this message, or undefined when none accepts it. */
  /** `match` functions get `context` (the fan's session; an empty one when not given). */
  select: (message: AnyMessage, context?: MatchContext) => LoadedHandler | undefined
  /** Whether any handler names this message's type (before `match`): when none does, no session need be loaded. */
  hasCandidate: (message: AnyMessage) => boolean
  /** Whether a handler that names this message's type declares `session: true`: then its push needs the session. */
  candidateNeedsSession: (message: AnyMessage) => boolean
  readonly handlers: readonly LoadedHandler[]
}

function triggersOf (message: AnyMessage): string[] {
  if (isStreamMessage(message)) return [message.type]
  return [message.type, `${message.type}:${'subtype' in message.data ? String(message.data.subtype) : ''}`]
}

function isCatchAll (handler: LoadedHandler): boolean {
  return handler.triggers.includes('*')
}

/** For a stream record or a caller without a session: frozen, so that a `match` cannot keep state in it. */
const NO_CONTEXT: MatchContext = Object.freeze({ session: Object.freeze({}) })

function matches (handler: LoadedHandler, message: AnyMessage, context: MatchContext): boolean {
  const { match } = handler
  if (match === undefined) return true
  if (typeof match === 'string') return message.text === match
  if (match instanceof RegExp) {
    match.lastIndex = 0 // a /g or /y pattern keeps state between calls
    return match.test(message.text)
  }
  return Boolean((match as (message: AnyMessage, context: MatchContext) => unknown)(message, context))
}

/**
 * Orders handlers once (higher priority first, then load order; `'*'` handlers after all others) and picks the
 * first whose trigger and `match` accept a message. A `match` function that throws counts as "no match", logged.
 */
export function createHandlerRouter (handlers: readonly LoadedHandler[], logger: Logger): HandlerRouter {
  const ordered = [...handlers].sort((a, b) =>
    Number(isCatchAll(a)) - Number(isCatchAll(b)) || b.priority - a.priority || a.order - b.order)
  function candidate (handler: LoadedHandler, message: AnyMessage, wanted: string[]): boolean {
    // `*` means everything a fan sends: a stream record (someone else's weibo) goes only to handlers naming its type.
    // A handler limited to some accounts is skipped for the others' pushes.
    return (handler.triggers.some((trigger) => wanted.includes(trigger)) || (!isStreamMessage(message) && isCatchAll(handler))) &&
      servesAccount(handler, message)
  }
  // What the candidates of a kind of message need, by type and subtype (and receiving account, when a handler is
  // limited to some accounts): asked twice per push, and the answer depends only on the kind (types and subtypes are
  // the schemas' few; accounts those of the accounts file, as a push for another is refused before dispatch, or
  // without the file the one account Weibo pushes for), so it is worked out once per kind.
  const byAccount = ordered.some((handler) => handler.accounts !== undefined)
  const kinds = new Map<string, Map<string, { any: boolean, session: boolean }>>()
  function candidatesOf (message: AnyMessage): { any: boolean, session: boolean } {
    const stream = isStreamMessage(message)
    const subtype = !stream && 'subtype' in message.data ? String(message.data.subtype) : ''
    const kind = byAccount && !stream ? `${subtype}@${message.receiver_id}` : subtype
    let bySubtype = kinds.get(message.type)
    if (bySubtype === undefined) kinds.set(message.type, bySubtype = new Map())
    let known = bySubtype.get(kind)
    if (known === undefined) {
      const wanted = triggersOf(message)
      const candidates = ordered.filter((handler) => candidate(handler, message, wanted))
      known = { any: candidates.length > 0, session: candidates.some((handler) => handler.session) }
      bySubtype.set(kind, known)
    }
    return known
  }
  return {
    handlers: ordered,
    hasCandidate: (message) => candidatesOf(message).any,
    candidateNeedsSession: (message) => candidatesOf(message).session,
    select (message, context = NO_CONTEXT) {
      const wanted = triggersOf(message)
      for (const handler of ordered) {
        if (!candidate(handler, message, wanted)) continue
        try {
          if (matches(handler, message, context)) return handler
        } catch (error) {
          logger.error({ err: error, handler: handler.name }, 'handler match function threw; skipping the handler')
        }
      }
      return undefined
    }
  }
}

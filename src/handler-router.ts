import type { AnyMessage, LoadedHandler } from './handler.ts'
import type { Logger } from './logger.ts'
import { isStreamMessage } from './push-stream/stream-message.ts'

export interface HandlerRouter {
  /** The handler that takes this message, or undefined when none accepts it. */
  select: (message: AnyMessage) => LoadedHandler | undefined
  readonly handlers: readonly LoadedHandler[]
}

function triggersOf (message: AnyMessage): string[] {
  if (isStreamMessage(message)) return [message.type]
  return [message.type, `${message.type}:${'subtype' in message.data ? String(message.data.subtype) : ''}`]
}

function isCatchAll (handler: LoadedHandler): boolean {
  return handler.triggers.includes('*')
}

function matches (handler: LoadedHandler, message: AnyMessage): boolean {
  const { match } = handler
  if (match === undefined) return true
  if (typeof match === 'string') return message.text === match
  if (match instanceof RegExp) {
    match.lastIndex = 0 // a /g or /y pattern keeps state between calls
    return match.test(message.text)
  }
  return Boolean((match as (message: AnyMessage) => unknown)(message))
}

/**
 * Orders handlers once (higher priority first, then load order; `'*'` handlers after all others) and picks the
 * first whose trigger and `match` accept a message. A `match` function that throws counts as "no match", logged.
 */
export function createHandlerRouter (handlers: readonly LoadedHandler[], logger: Logger): HandlerRouter {
  const ordered = [...handlers].sort((a, b) =>
    Number(isCatchAll(a)) - Number(isCatchAll(b)) || b.priority - a.priority || a.order - b.order)
  return {
    handlers: ordered,
    select (message) {
      const wanted = triggersOf(message)
      // `*` means everything a fan sends: a stream record (someone else's weibo) goes only to handlers naming its type.
      const catchAllApplies = !isStreamMessage(message)
      for (const handler of ordered) {
        const named = handler.triggers.some((trigger) => wanted.includes(trigger))
        if (!named && !(catchAllApplies && isCatchAll(handler))) continue
        try {
          if (matches(handler, message)) return handler
        } catch (error) {
          logger.error({ err: error, handler: handler.name }, 'handler match function threw; skipping the handler')
        }
      }
      return undefined
    }
  }
}

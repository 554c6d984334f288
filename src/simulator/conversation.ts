/** How a bot message reached the fan. */
export type Delivery = 'passive' | 'active' | 'direct-message'

export type ConversationEntry =
  | { from: 'fan', fanId: string, at: number, type: string, subtype?: string, text: string }
  | { from: 'bot', fanId: string, at: number, via: Delivery, type: string, data: unknown }

export interface Conversation {
  add: (entry: ConversationEntry) => void
  /** Everything so far, in order; only one fan's when `fanId` is given. */
  entries: (fanId?: string) => readonly ConversationEntry[]
  /** Called for each entry added from now on; returns a function that stops it. */
  subscribe: (listener: (entry: ConversationEntry) => void) => () => void
}

/**
 * The conversation as the fan sees it on their phone: what they sent, and every bot message, passive or active,
 * in order, with how it was delivered. Bounded: the oldest entries go first past `max`.
 */
export function createConversation (options: { max?: number } = {}): Conversation {
  const max = options.max ?? 10_000
  const log: ConversationEntry[] = []
  const listeners = new Set<(entry: ConversationEntry) => void>()
  return {
    add (entry) {
      log.push(entry)
      if (log.length > max) log.splice(0, log.length - max)
      for (const listener of listeners) listener(entry)
    },
    entries (fanId) {
      return fanId === undefined ? [...log] : log.filter((entry) => entry.fanId === fanId)
    },
    subscribe (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}

import { defineMiddleware, text, type Middleware } from '../src/index.ts'

export interface OpeningHours {
  /** Beijing-time hours: open from `open` (inclusive) to `close` (exclusive). */
  open: number
  close: number
  /** Wall clock, injectable in tests. */
  now?: () => number
}

const BEIJING_OFFSET_MS = 8 * 3_600_000

/** Middleware that answers outside opening hours with a polite note and stops; events (follow…) still pass. */
export function openingHours (hours: OpeningHours): Middleware {
  const now = hours.now ?? Date.now
  return defineMiddleware({
    name: 'opening-hours',
    priority: 80,
    use (message, _ctx, next) {
      const hour = new Date(now() + BEIJING_OFFSET_MS).getUTCHours()
      if (message.type === 'event' || (hour >= hours.open && hour < hours.close)) return next()
      return text(`客服在线时间为每天 ${hours.open}:00–${hours.close}:00，我们上班后第一时间回复您。`)
    }
  })
}

// Open around the clock here: set your own hours (for example { open: 9, close: 21 }).
export default openingHours({ open: 0, close: 24 })

import { defineMiddleware, text } from '../src/index.ts'

const WINDOW_MS = 60_000
const MAX_PER_WINDOW = 20

interface RateWindow { startedAt: number, count: number, warned: boolean }

// Middleware: at most 20 messages a minute per fan. The count lives in the fan's session, so it holds across
// replicas; the fan is told once per minute, then ignored until the minute is over. (It writes the session on every
// push: on Redis that is one more round trip per push; see bench/README.md.)
export default defineMiddleware({
  name: 'rate-limit',
  priority: 90,
  session: true, // the count lives in ctx.session
  use (_message, ctx, next) {
    const now = Date.now()
    const window = ctx.session.rate as RateWindow | undefined
    const current: RateWindow = window === undefined || now - window.startedAt >= WINDOW_MS
      ? { startedAt: now, count: 0, warned: false }
      : window
    current.count++
    ctx.session.rate = current
    if (current.count <= MAX_PER_WINDOW) return next()
    if (current.warned) return undefined
    current.warned = true
    return text('您发消息太快啦，请稍等一分钟再试～')
  }
})

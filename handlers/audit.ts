import { defineMiddleware } from '../src/index.ts'

// Middleware that only observes: outermost (highest priority), so its time covers every other middleware and the
// handler. Logged at debug level: one line per push with who wrote, how long it took and whether we answered.
export default defineMiddleware({
  name: 'audit',
  priority: 1000,
  async use (message, ctx, next) {
    const started = performance.now()
    const reply = await next()
    ctx.log.debug({ audit: { type: message.type, fan: message.sender_id, replied: reply !== undefined, durationMs: Math.round(performance.now() - started) } }, 'push audited')
    return reply
  }
})

import { defineMiddleware } from '../src/index.ts'

// Fans whose messages the bot ignores (spam accounts, say): replace with your list, or read it from your database.
const BLOCKED = new Set<string>(['1000000001'])

// Middleware: runs before every handler. Highest priority, so a blocked fan costs nothing further down.
export default defineMiddleware({
  name: 'block-list',
  priority: 100,
  use (message, ctx, next) {
    if (!BLOCKED.has(message.sender_id)) return next()
    ctx.log.info({ blocked: message.sender_id }, 'message from a blocked fan ignored')
    return undefined // no reply, and no handler runs
  }
})

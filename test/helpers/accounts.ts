import { defineHandler, defineMiddleware, text, type Handler, type Middleware } from '../../src/index.ts'

/** Two brand accounts on one server: A on the default path and secret, B on its own path with its own secret. */
export const ACCOUNT_A = '1902538057'
export const ACCOUNT_B = '2000000002'
export const PATH_B = '/weibo/brand-b'
export const SECRET_B = 'brand-b-app-secret'

/**
 * Handlers that show which account's token, state and filters a push got:
 * - `late`: answers once `answered` resolves (`answerGate` in deferred.ts: after its push's answer), a late reply,
 *   through messages/reply or the outbox;
 * - `api`: replies through `ctx.api` itself;
 * - `count`: counts the fan's messages in `ctx.session`;
 * - `who`: "A only" from a handler limited to A, "anyone" from the one behind it;
 * - `brand`: what a middleware limited to B put in `ctx.state` ("none" for A's pushes).
 */
export function accountHandlers (answered: () => Promise<void>): Array<Handler | Middleware> {
  return [
    defineMiddleware({ name: 'brand-b-only', accounts: [ACCOUNT_B], use: async (_message, ctx, next) => { ctx.state.brand = 'B'; return await next() } }),
    defineHandler({ name: 'late', on: 'text', match: 'late', handle: async (message) => { await answered(); return text(`late for ${message.receiver_id}`) } }),
    defineHandler({
      name: 'api',
      on: 'text',
      match: 'api',
      handle: async (message, ctx) => { await ctx.api.messages.reply({ receiverId: message.sender_id, reply: text(`api for ${message.receiver_id}`) }) }
    }),
    defineHandler<'text', { n?: number }>({
      name: 'count',
      on: 'text',
      match: 'count',
      session: true,
      handle: (_message, ctx) => { ctx.session.n = (ctx.session.n ?? 0) + 1; return text(`n=${ctx.session.n}`) }
    }),
    defineHandler({ name: 'a-only', on: 'text', match: 'who', accounts: [ACCOUNT_A], handle: () => text('A only') }),
    defineHandler({ name: 'anyone', on: 'text', match: 'who', priority: -1, handle: () => text('anyone') }),
    defineHandler({ name: 'brand', on: 'text', match: 'brand', handle: (_message, ctx) => text(String(ctx.state.brand ?? 'none')) })
  ]
}

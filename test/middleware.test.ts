import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { defineHandler, defineMiddleware, text } from '../src/index.ts'
import { loadHandlerModules } from '../src/handler-loader.ts'
import { startTestApp } from './helpers/app.ts'
import { tempDir } from './helpers/cli.ts'
import { decodePassive, fixtureWith, sendPush } from './helpers/push.ts'

const replyText = (body: string): unknown => (decodePassive(body).data as { text: string }).text

describe('middleware', () => {
  test('run around the handler in declared order: higher priority outermost, ties by load order', async (t) => {
    const order: string[] = []
    const trace = (name: string, priority?: number) => defineMiddleware({
      name,
      ...(priority === undefined ? {} : { priority }),
      async use (_message, _ctx, next) {
        order.push(`${name}>`)
        const reply = await next()
        order.push(`<${name}`)
        return reply
      }
    })
    const { app } = await startTestApp(t, {
      handlers: [trace('b'), trace('a', 10), defineHandler({ on: 'text', handle: () => { order.push('handler'); return text('hi') } }), trace('c')]
    })
    const response = await sendPush(app, fixtureWith('text', { text: 'x' }))
    assert.equal(replyText(response.body), 'hi')
    assert.deepEqual(order, ['a>', 'b>', 'c>', 'handler', '<c', '<b', '<a'])
  })

  test('can answer and stop: the handler does not run and the fan gets the middleware\'s reply', async (t) => {
    let handled = 0
    const { app, logs } = await startTestApp(t, {
      handlers: [
        defineMiddleware({ name: 'closed', use: (message, _ctx, next) => message.text === 'late' ? text('我们已下班') : next() }),
        defineHandler({ on: 'text', handle: () => { handled++; return text('handled') } })
      ]
    })
    assert.equal(replyText((await sendPush(app, fixtureWith('text', { text: 'late' }))).body), '我们已下班')
    assert.equal(handled, 0)
    assert.equal(replyText((await sendPush(app, fixtureWith('text', { text: 'early', created_at: 'Mon Jul 16 18:09:21 +0800 2012' }))).body), 'handled')
    const pushes = logs.lines().filter((line) => line.msg === 'push passive').map((line) => (line.push as { handler: string }).handler)
    assert.deepEqual(pushes, ['closed', '<inline>#1'])
  })

  test('a middleware that returns nothing without calling next stops the push: blank answer', async (t) => {
    const { app } = await startTestApp(t, {
      handlers: [defineMiddleware({ use: () => undefined }), defineHandler({ on: 'text', handle: () => text('never') })]
    })
    const response = await sendPush(app, fixtureWith('text', { text: 'x' }))
    assert.equal(response.body, '')
  })

  test('can enrich ctx (ctx.state) for the handler, and observe its reply', async (t) => {
    const observed: unknown[] = []
    const { app } = await startTestApp(t, {
      handlers: [
        defineMiddleware({
          async use (_message, ctx, next) {
            ctx.state.vip = true
            const reply = await next()
            observed.push(reply)
          }
        }),
        defineHandler({ on: 'text', handle: (_message, ctx) => text(ctx.state.vip === true ? 'VIP' : 'normal') })
      ]
    })
    const response = await sendPush(app, fixtureWith('text', { text: 'x' }))
    // It returned nothing after calling next: the handler's reply goes on.
    assert.equal(replyText(response.body), 'VIP')
    assert.equal(observed.length, 1)
  })

  test('a middleware error is reported like a handler error, with its name: failed, blank, WEIBO_ERR_MIDDLEWARE_THREW', async (t) => {
    const { app, logs } = await startTestApp(t, {
      handlers: [
        defineMiddleware({ name: 'broken', use: () => { throw new Error('database down') } }),
        defineHandler({ on: 'text', handle: () => text('never') })
      ]
    })
    const response = await sendPush(app, fixtureWith('text', { text: 'x' }))
    assert.equal(response.statusCode, 200)
    assert.equal(response.body, '')
    const failure = logs.lines().find((line) => (line.err as { code?: string } | undefined)?.code === 'WEIBO_ERR_MIDDLEWARE_THREW')
    assert.ok(failure !== undefined)
    assert.match(String((failure.err as { message: string }).message), /broken: database down/)
    const push = logs.lines().find((line) => line.msg === 'push failed')
    assert.ok(push !== undefined)
  })

  test('a handler error crossing a middleware keeps the handler\'s name and code', async (t) => {
    const { app, logs } = await startTestApp(t, {
      handlers: [
        defineMiddleware({ name: 'outer', use: async (_message, _ctx, next) => await next() }),
        defineHandler({ name: 'faulty', on: 'text', handle: () => { throw new Error('bug') } })
      ]
    })
    await sendPush(app, fixtureWith('text', { text: 'x' }))
    const failure = logs.lines().find((line) => (line.err as { code?: string } | undefined)?.code !== undefined)
    assert.equal((failure?.err as { code: string }).code, 'WEIBO_ERR_HANDLER_THREW')
    assert.match(String((failure?.err as { message: string }).message), /faulty: bug/)
  })

  test('run for every fan push, even one no handler takes', async (t) => {
    const seen: string[] = []
    const { app } = await startTestApp(t, {
      handlers: [defineMiddleware({ use: async (message, _ctx, next) => { seen.push(message.type); return await next() } })]
    })
    assert.equal((await sendPush(app, fixtureWith('text', { text: 'x' }))).body, '')
    assert.deepEqual(seen, ['text'])
  })

  test('the loader tells middleware modules from handler modules, and refuses a bad one naming the file', async (t) => {
    const dir = await tempDir(t, 'fanbot-middleware-')
    writeFileSync(path.join(dir, 'a.mjs'), 'export default { priority: 5, use: (m, ctx, next) => next() }\n')
    writeFileSync(path.join(dir, 'b.mjs'), 'export default [{ on: "text", handle: () => undefined }, { name: "inner", use: (m, ctx, next) => next() }]\n')
    const loaded = await loadHandlerModules(dir)
    assert.deepEqual(loaded.middleware.map((item) => [item.name, item.priority]), [['a', 5], ['inner', 0]])
    assert.deepEqual(loaded.handlers.map((item) => item.name), ['b#0'])
    writeFileSync(path.join(dir, 'c.mjs'), 'export default { use: "not a function" }\n')
    await assert.rejects(loadHandlerModules(dir), (error: Error & { code?: string }) =>
      error.code === 'WEIBO_ERR_HANDLER_INVALID' && error.message.includes('c.mjs') && error.message.includes('use'))
  })
})

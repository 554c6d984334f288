import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify'
import type { Logger } from '../src/logger.ts'
import { lazyRequestLogger } from '../src/request-logger.ts'
import { captureLogs } from './helpers/logs.ts'

function appWith (logs: ReturnType<typeof captureLogs>): { app: ReturnType<typeof Fastify>, children: () => number } {
  let children = 0
  // Counts pino children made from this logger or its descendants (they inherit the property).
  const original = logs.logger.child
  logs.logger.child = function (this: Logger, ...args: Parameters<Logger['child']>) {
    children++
    return original.apply(this, args)
  } as Logger['child']
  const app = Fastify({ loggerInstance: logs.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: lazyRequestLogger })
  app.get('/quiet', async () => 'quiet')
  app.get('/chatty', async (request) => {
    request.log.debug('below the level: not written')
    request.log.warn({ detail: 1 }, 'written with its request id')
    request.log.child({ extra: true }).info('a child of the request logger')
    return 'chatty'
  })
  return { app, children: () => children }
}

test('a request that logs nothing makes no pino child', async (t) => {
  const logs = captureLogs('info')
  const { app, children } = appWith(logs)
  t.after(async () => { await app.close() })
  await app.ready()
  const atStart = children()
  for (let index = 0; index < 5; index++) assert.equal((await app.inject('/quiet')).body, 'quiet')
  assert.equal(children() - atStart, 0)
})

test('a request that logs writes its lines with reqId, as pino children do, and skips lines below the level', async (t) => {
  const logs = captureLogs('info')
  const { app } = appWith(logs)
  t.after(async () => { await app.close() })
  await app.inject('/chatty')
  await app.inject('/chatty')
  const lines = logs.lines()
  const warnings = lines.filter((line) => line.msg === 'written with its request id')
  assert.equal(warnings.length, 2)
  assert.deepEqual(warnings.map((line) => [line.level, line.detail]), [[40, 1], [40, 1]])
  assert.notEqual(warnings[0]?.reqId, undefined)
  assert.notEqual(warnings[0]?.reqId, warnings[1]?.reqId)
  const childLine = lines.find((line) => line.msg === 'a child of the request logger')
  assert.equal(childLine?.extra, true)
  assert.equal(childLine?.reqId, warnings[0]?.reqId)
  assert.ok(!lines.some((line) => line.msg === 'below the level: not written'))
})

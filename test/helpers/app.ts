import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import type { Handler, Trigger } from '../../src/handler.ts'
import type { Middleware } from '../../src/middleware.ts'
import { testConfig } from './config.ts'
import { captureLogs, type CapturedLogs } from './logs.ts'

export interface TestApp {
  app: FastifyInstance
  logs: CapturedLogs
}

/** Builds the app in-process with inline handlers and captured logs; closed when the test ends. */
export async function startTestApp (t: TestContext, options: { handlers: Array<Handler<Trigger> | Middleware>, env?: Record<string, string | undefined>, now?: () => number }): Promise<TestApp> {
  const logs = captureLogs()
  const app = await buildApp({ config: testConfig(options.env), logger: logs.logger, handlers: options.handlers, ...(options.now === undefined ? {} : { now: options.now }) })
  t.after(async () => { await app.close() })
  return { app, logs }
}

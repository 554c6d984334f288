import type { TestContext } from 'node:test'
import { buildApp } from '../../src/app.ts'
import type { Handler, Trigger } from '../../src/handler.ts'
import { testConfig } from './config.ts'

/** A real bot (buildApp, test config, inline handlers) listening on loopback; its callback URL, closed after the test. */
export async function startBot (t: TestContext, handlers: Array<Handler<Trigger>>, env: Record<string, string> = {}): Promise<string> {
  const app = await buildApp({ config: testConfig(env), handlers })
  t.after(async () => { await app.close() })
  return `${await app.listen({ host: '127.0.0.1', port: 0 })}/weibo`
}

import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../../src/logger.ts'
import { createTestKit, type TestKit } from '../../src/testing.ts'

/** The shipped example handlers, found from this file so the tests do not depend on the working directory. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../handlers/', import.meta.url))

/** The test kit on the example handlers, closed when the test ends: the way a handler author tests theirs. */
export async function exampleKit (t: TestContext, logger?: Logger, env: Record<string, string> = {}): Promise<TestKit> {
  const kit = await createTestKit({ handlersDir: EXAMPLES_DIR, env, ...(logger === undefined ? {} : { logger }) })
  t.after(async () => { await kit.close() })
  return kit
}

/** Sends a push and returns its passive reply (type and decoded data); fails when the answer is not a reply. */
export async function replyTo (kit: TestKit, body: string): Promise<{ type: unknown, data: unknown }> {
  const result = await kit.sendRaw(body)
  assert.equal(result.tries[0]?.status, 200)
  assert.equal(result.transport, 'passive', 'expected a passive reply')
  assert.ok(result.reply !== undefined)
  return result.reply
}

/** Sends a push and checks nothing reaches the fan: a blank answer and no late reply. */
export async function assertBlank (kit: TestKit, body: string): Promise<void> {
  const result = await kit.sendRaw(body)
  assert.equal(result.tries[0]?.status, 200)
  assert.equal(result.tries[0]?.body, '')
  assert.equal(result.transport, 'none')
}

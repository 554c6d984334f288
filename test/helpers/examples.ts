import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { decodePassive, sendPush } from './push.ts'

/** The shipped example handlers, found from this file so the tests do not depend on the working directory. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../handlers/', import.meta.url))

/** Sends a push and returns its passive reply (type and decoded data); fails when the answer is not a reply. */
export async function replyTo (app: FastifyInstance, body: string): Promise<{ type: unknown, data: unknown }> {
  const response = await sendPush(app, body)
  assert.equal(response.statusCode, 200)
  assert.notEqual(response.body, '', 'expected a passive reply, got a blank answer')
  const { type, data } = decodePassive(response.body)
  return { type, data }
}

/** Sends a push and checks it is answered blank (200, empty body): no reply. */
export async function assertBlank (app: FastifyInstance, body: string): Promise<void> {
  const response = await sendPush(app, body)
  assert.equal(response.statusCode, 200)
  assert.equal(response.body, '')
}

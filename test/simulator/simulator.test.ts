import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildApp } from '../../src/app.ts'
import { defineHandler, text } from '../../src/index.ts'
import { startSimulator } from '../../src/simulator/simulator.ts'
import { TEST_SECRET, TEST_TOKEN, testConfig } from '../helpers/config.ts'

describe('startSimulator', () => {
  test('a push before the callback URL is known fails with a clear message', async (t) => {
    const sim = await startSimulator({ secret: TEST_SECRET, accessToken: TEST_TOKEN })
    t.after(async () => { await sim.close() })
    await assert.rejects(sim.push({ type: 'text' }), /no callback URL yet: call setCallbackUrl first/)
  })

  test('replays a saved push byte for byte, 64-bit ids intact, and records the passive reply for the fan', async (t) => {
    const seen: string[] = []
    const app = await buildApp({ config: testConfig(), handlers: [defineHandler({ on: 'text', handle: (message) => { seen.push(message.sender_id); return text('ok') } })] })
    t.after(async () => { await app.close() })
    const sim = await startSimulator({ callbackUrl: `${await app.listen({ host: '127.0.0.1', port: 0 })}/weibo`, secret: TEST_SECRET, accessToken: TEST_TOKEN })
    t.after(async () => { await sim.close() })
    const saved = '{"type":"text","receiver_id":1902538057,"sender_id":9223372036854775807,"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"hi","data":{}}'
    const { body, delivery } = await sim.push(saved)
    assert.equal(body, saved)
    assert.equal(delivery.outcome, 'passive')
    assert.deepEqual(seen, ['9223372036854775807'])
    const entries = sim.conversation.entries('9223372036854775807')
    assert.deepEqual(entries.map((entry) => entry.from === 'bot' ? `bot:${entry.via}` : 'fan'), ['fan', 'bot:passive'])
  })
})

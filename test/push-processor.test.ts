import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Dispatcher } from '../src/dispatcher.ts'
import { createPushProcessor } from '../src/push-processor.ts'
import { captureLogs } from './helpers/logs.ts'
import { fixture } from './helpers/push.ts'

const dispatcher: Dispatcher = {
  dispatch: async () => ({ outcome: 'passive', body: '{"result":true}', dedupKey: '2489518277|Mon Jul 16 18:09:20 +0800 2012|abc', handler: 'greeting' }),
  drain: async () => true,
  idle: async () => {},
  pending: 0
}

test('one info line per push with its type, sender, dedup key, handler, outcome and duration', async () => {
  const logs = captureLogs('info')
  const processor = createPushProcessor({ dispatcher, logger: logs.logger })
  const answer = await processor.process(fixture('text'), () => 3.4)
  assert.deepEqual(answer, { body: '{"result":true}' })
  const lines = logs.lines()
  assert.equal(lines.length, 1)
  assert.equal(lines[0]?.level, 30)
  assert.equal(lines[0]?.msg, 'push passive')
  assert.equal(lines[0]?.service, 'weibo-fanbot')
  assert.deepEqual(lines[0]?.push, { type: 'text', sender: '2489518277', dedupKey: '2489518277|Mon Jul 16 18:09:20 +0800 2012|abc', handler: 'greeting', outcome: 'passive', durationMs: 3 })
})

test('the per-push line skips redaction; the processor\'s logger itself still redacts', async () => {
  const logs = captureLogs('info')
  createPushProcessor({ dispatcher, logger: logs.logger })
  logs.logger.info({ push: { signature: 'secret-signature' } }, 'other line')
  assert.doesNotMatch(logs.text(), /secret-signature/)
})

test('the dispatcher is told when the push arrived, on the wall clock and the steady one: the request\'s start', async () => {
  const told: Array<Parameters<Dispatcher['dispatch']>[1]> = []
  const recording: Dispatcher = { ...dispatcher, dispatch: async (message, options) => { told.push(options); return await dispatcher.dispatch(message, options) } }
  const processor = createPushProcessor({ dispatcher: recording, logger: captureLogs('info').logger })
  const [wall, steady] = [Date.now(), performance.now()]
  await processor.process(fixture('text'), () => 300)
  const [wallAfter, steadyAfter] = [Date.now(), performance.now()]
  const { receivedAt = Number.NaN, arrivedAt = Number.NaN } = told[0] ?? {}
  assert.ok(receivedAt >= wall - 300 && receivedAt <= wallAfter - 300, `receivedAt ${receivedAt}: 300 ms before ${wall}–${wallAfter}`)
  assert.ok(arrivedAt >= steady - 300 && arrivedAt <= steadyAfter - 300, `arrivedAt ${arrivedAt}: 300 ms before ${steady}–${steadyAfter}`)
})

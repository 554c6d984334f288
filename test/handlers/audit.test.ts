import assert from 'node:assert/strict'
import { test } from 'node:test'
import { captureLogs } from '../helpers/logs.ts'
import { exampleKit } from '../helpers/examples.ts'

test('every push gets one debug audit line (fan, type, answered, time), around every other middleware and the handler', async (t) => {
  const logs = captureLogs('debug')
  const kit = await exampleKit(t, logs.logger)
  await kit.send({ type: 'text', text: '你好', senderId: '9001' })
  await kit.send({ type: 'text', text: '你好', senderId: '1000000001' }) // blocked: audited, not answered
  const audits = logs.lines().filter((line) => line.msg === 'push audited').map((line) => line.audit as { fan: string, replied: boolean, type: string, durationMs: number })
  assert.deepEqual(audits.map(({ fan, replied, type }) => ({ fan, replied, type })), [
    { fan: '9001', replied: true, type: 'text' },
    { fan: '1000000001', replied: false, type: 'text' }
  ])
  assert.ok(audits.every((audit) => Number.isInteger(audit.durationMs)))
})

/**
 * Shutdown while Redis is gone: the replica must still exit within SHUTDOWN_TIMEOUT_MS (plus a second for the
 * process itself), whatever BullMQ's worker and the Redis connections wait for, and say what it left behind.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { replicaWorld } from '../helpers/stall.ts'

const skip = spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is not on PATH'
const SHUTDOWN_TIMEOUT_MS = 3000

test('Redis killed, then SIGTERM: the replica exits within SHUTDOWN_TIMEOUT_MS + 1 s', { skip }, async (t) => {
  const world = await replicaWorld(t, { replicas: 1, handlerMs: 200, env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) } })
  const [replica] = world.replicas
  const base = world.bases[0] ?? ''
  assert.ok(replica !== undefined)
  // Late replies go through the outbox and its worker while Redis is up.
  const fans = ['3100000001', '3100000002', '3100000003']
  for (const [index, fan] of fans.entries()) assert.equal(await world.push(base, fan, `before ${index}`), 200)
  const started = Date.now()
  while (world.figures(fans).lost > 0 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(world.figures(fans).lost, 0, 'delivered while Redis was up')

  await world.redis.stop() // SIGKILL: the connections see a reset, then refused reconnects
  // One more slow push while Redis is gone: its late reply is still pending when the signal comes.
  assert.equal(await world.push(base, '3100000004', 'during'), 200)
  const signalled = Date.now()
  replica.child.kill('SIGTERM')
  const exit = await Promise.race([replica.exited, new Promise((resolve) => setTimeout(resolve, 3 * SHUTDOWN_TIMEOUT_MS, 'still running'))])
  if (exit === 'still running') t.diagnostic(replica.stdout().split('\n').slice(-15).join('\n'))
  const tookMs = Date.now() - signalled
  t.diagnostic(`exited ${String(exit)} after ${tookMs} ms (SHUTDOWN_TIMEOUT_MS ${SHUTDOWN_TIMEOUT_MS})`)
  assert.ok(tookMs <= SHUTDOWN_TIMEOUT_MS + 1000, `exited after ${tookMs} ms`)
  assert.equal(exit, 0)
  assert.match(replica.stdout(), /shutdown complete/)
  // The reply pending at the signal went out directly (Redis was down, so nothing was queued).
  assert.equal(world.figures(['3100000004']).replies, 1)
})

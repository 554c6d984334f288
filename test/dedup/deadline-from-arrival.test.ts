/**
 * The reply deadline counts from the push's arrival, not from the end of its dedup claim. With Redis paused (SIGSTOP)
 * the claim waits out its command timeout (500 ms) and the push is then handled as new; a deadline started after that
 * answered it half a second late, past Weibo's 5 s window at REPLY_DEADLINE_MS=4900 (the highest allowed).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { waitFor } from '../helpers/deferred.ts'
import { loggedDurations, replicaWorld } from '../helpers/stall.ts'

const skip = spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is not on PATH'
const DEADLINE_MS = 1000
/** Timers and a loaded machine's scheduling; the fault this test catches is the claim's 500 ms command timeout. */
const SLACK_MS = 400

test('a slow handler is answered blank at REPLY_DEADLINE_MS after the push arrived, even while Redis stalls the claim', { skip }, async (t) => {
  const world = await replicaWorld(t, { replicas: 1, handlerMs: 10_000, env: { REPLY_DEADLINE_MS: String(DEADLINE_MS) } })
  const fan = '3100000001'
  process.kill(world.redisPid, 'SIGSTOP')
  let status: number
  try {
    status = await world.push(world.bases[0] ?? '', fan, 'where is my order')
  } finally {
    process.kill(world.redisPid, 'SIGCONT')
  }
  assert.equal(status, 200)
  // The replica's own clock, from the request's start to its answer (this process's adds its own scheduling). The
  // line may come after the answer (the logger writes asynchronously).
  const ours = (): ReturnType<typeof loggedDurations> => loggedDurations(world).filter((push) => push.fan === fan)
  await waitFor(() => ours().length > 0, 10_000, 20)
  const logged = ours()
  assert.equal(logged.length, 1, `one push line for the fan:\n${world.replicas[0]?.stdout() ?? ''}`)
  const durationMs = logged[0]?.durationMs ?? Number.NaN
  t.diagnostic(`answered blank at ${durationMs} ms, the deadline ${DEADLINE_MS} ms`)
  assert.ok(durationMs >= DEADLINE_MS - 5, `answered at ${durationMs} ms, before the deadline (${DEADLINE_MS} ms)`)
  assert.ok(durationMs < DEADLINE_MS + SLACK_MS, `answered at ${durationMs} ms: the deadline (${DEADLINE_MS} ms) must count from the push's arrival`)
})

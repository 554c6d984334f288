/**
 * Late replies exactly once while Redis stalls. Two replicas (real processes) answer slow pushes blank and send the
 * replies late through the outbox; in the middle, the redis-server is paused (SIGSTOP) for 10 s, then for 30 s.
 * Every command in flight then times out on the client while it is still on the wire, and runs when Redis is
 * continued: an enqueue that "failed" may have queued the job after all, worker locks expire, jobs are re-run.
 * Whatever the mix, every fan must get exactly one reply. The figures are printed for the README.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, test, type TestContext } from 'node:test'
import { replicaWorld, type DeliveryFigures } from '../helpers/stall.ts'

const skip = spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is not on PATH'
const PUSHES_PER_REPLICA = 30

async function sleep (ms: number): Promise<void> { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function stallScenario (t: TestContext, stallMs: number): Promise<DeliveryFigures> {
  const world = await replicaWorld(t, { replicas: 2, handlerMs: 300 })
  const fans = Array.from({ length: PUSHES_PER_REPLICA * world.bases.length }, (_, index) => String(3_000_000_000 + index))
  // The pushes come over 3 s; Redis is paused 1 s in, so replies are late before, during and after the pause.
  const pushes = fans.map(async (fan, index) => {
    await sleep(index * 50)
    return await world.push(world.bases[index % world.bases.length] ?? '', fan, `order ${index}`)
  })
  await sleep(1000)
  process.kill(world.redisPid, 'SIGSTOP')
  await sleep(stallMs)
  process.kill(world.redisPid, 'SIGCONT')
  const statuses = await Promise.all(pushes)
  assert.deepEqual(statuses.filter((status) => status !== 200), [], 'every push answered 200')
  // Everything queued is delivered soon after Redis is back; then a quiet time in which a duplicate would show.
  const started = Date.now()
  while (world.figures(fans).lost > 0 && Date.now() - started < 20_000) await sleep(200)
  await sleep(3000)
  const figures = world.figures(fans)
  if (figures.lost > 0 || figures.duplicates > 0) {
    // Which fans went wrong, and what the replicas said about them: the first thing to read when this fails.
    const wrong = fans.filter((fan) => world.figures([fan]).lost > 0 || world.figures([fan]).duplicates > 0)
    for (const replica of world.replicas) {
      for (const line of replica.stdout().split('\n')) if (wrong.some((fan) => line.includes(fan))) t.diagnostic(line)
    }
  }
  t.diagnostic(`Redis paused ${stallMs / 1000} s, 2 replicas: fans ${figures.fans}, replies ${figures.replies}, duplicates ${figures.duplicates}, lost ${figures.lost}`)
  return figures
}

// The two pauses run side by side (each world has its own redis-server and replicas): the suite waits for the longer only.
describe('late replies while Redis is paused (SIGSTOP): every fan gets exactly one', { skip, concurrency: true }, () => {
  test('a 10-second pause', async (t) => {
    const figures = await stallScenario(t, 10_000)
    assert.deepEqual(figures, { fans: 60, replies: 60, duplicates: 0, lost: 0 })
  })

  test('a 30-second pause', async (t) => {
    const figures = await stallScenario(t, 30_000)
    assert.deepEqual(figures, { fans: 60, replies: 60, duplicates: 0, lost: 0 })
  })
})

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
import { waitFor } from '../helpers/deferred.ts'
import { loggedDurations, replicaWorld, type DeliveryFigures, type ReplicaWorld } from '../helpers/stall.ts'

const skip = spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is not on PATH'
const PUSHES_PER_REPLICA = 30

async function sleep (ms: number): Promise<void> { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** What one push got: its status, or the error that ended its request, and after how long. */
interface PushOutcome {
  fan: string
  /** Index of the replica it was sent to. */
  replica: number
  status?: number
  error?: string
  ms: number
}

/** Weibo gives up on a push after 5 s: a replica must answer within it whatever Redis does. */
const WEIBO_WINDOW_MS = 5000

/** The replica's log lines that mention `fan`: the first thing to read when a fan's push or reply went wrong. */
function linesAbout (world: ReplicaWorld, replica: number, fan: string): string[] {
  return (world.replicas[replica]?.stdout() ?? '').split('\n').filter((line) => line.includes(fan))
}

async function stallScenario (t: TestContext, stallMs: number): Promise<DeliveryFigures> {
  const world = await replicaWorld(t, { replicas: 2, handlerMs: 300 })
  const fans = Array.from({ length: PUSHES_PER_REPLICA * world.bases.length }, (_, index) => String(3_000_000_000 + index))
  // The pushes come over 3 s; Redis is paused 1 s in, so replies are late before, during and after the pause. Each
  // push's failure is caught and kept with its fan and replica: awaited only after the pause, a rejection would be
  // reported as an unhandled rejection, naming neither.
  const pushes = fans.map(async (fan, index): Promise<PushOutcome> => {
    await sleep(index * 50)
    const replica = index % world.bases.length
    const started = Date.now()
    try {
      const status = await world.push(world.bases[replica] ?? '', fan, `order ${index}`)
      return { fan, replica, status, ms: Date.now() - started }
    } catch (error) {
      // fetch's own message is "fetch failed"; its cause says which (a reset, a refused or timed-out connect…).
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : ''
      return { fan, replica, error: `${error instanceof Error ? error.message : String(error)}${cause}, sent at ${new Date(started).toISOString()}`, ms: Date.now() - started }
    }
  })
  await sleep(1000)
  process.kill(world.redisPid, 'SIGSTOP')
  await sleep(stallMs)
  process.kill(world.redisPid, 'SIGCONT')
  const unanswered = (await Promise.all(pushes)).filter((outcome) => outcome.status !== 200)
  for (const { fan, replica } of unanswered) for (const line of linesAbout(world, replica, fan)) t.diagnostic(`replica ${replica}: ${line}`)
  if (unanswered.length > 0) {
    // What else the replicas said (their start, Redis lost and back, rejected pushes, which name no fan), with the
    // times to set beside the pushes'.
    for (const [replica, server] of world.replicas.entries()) {
      for (const line of server.stdout().split('\n')) if (line !== '' && !line.includes('"sender":') && !/"(fanId|receiverId)":/.test(line)) t.diagnostic(`replica ${replica}: ${line}`)
      if (server.stderr() !== '') t.diagnostic(`replica ${replica} stderr: ${server.stderr()}`)
    }
  }
  assert.deepEqual(unanswered.map(({ fan, replica, status, error, ms }) => `fan ${fan}, replica ${replica}: ${error ?? `HTTP ${status}`} after ${ms} ms`), [],
    'every push answered 200 (the replicas\' lines about each fan that was not are above)')
  // By the replicas' own clocks (the client's includes this busy process's scheduling): within Weibo's window. A
  // line may come after its answer (the logger writes asynchronously): waited for a little, then judged below.
  const allLogged = (): boolean => fans.every((fan) => loggedDurations(world).some((push) => push.fan === fan))
  await waitFor(allLogged, 10_000, 50).catch(() => {})
  const logged = loggedDurations(world)
  assert.deepEqual(fans.filter((fan) => !logged.some((push) => push.fan === fan)), [], 'every push logged as answered by its replica')
  const slow = logged.filter((push) => push.durationMs >= WEIBO_WINDOW_MS)
  assert.deepEqual(slow, [], `every push answered within ${WEIBO_WINDOW_MS} ms while Redis was paused`)
  // Everything queued is delivered soon after Redis is back; then a quiet time in which a duplicate would show.
  const started = Date.now()
  while (world.figures(fans).lost > 0 && Date.now() - started < 20_000) await sleep(200)
  await sleep(3000)
  const figures = world.figures(fans)
  if (figures.lost > 0 || figures.duplicates > 0) {
    // Which fans went wrong, and what the replicas said about them: the first thing to read when this fails.
    const wrong = fans.filter((fan) => world.figures([fan]).lost > 0 || world.figures([fan]).duplicates > 0)
    for (const fan of wrong) for (const replica of world.replicas.keys()) for (const line of linesAbout(world, replica, fan)) t.diagnostic(line)
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

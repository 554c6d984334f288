import { parseArgs } from 'node:util'
import { runLoad } from './load.ts'
import { fixed } from './report.ts'
import { measure, pin, startBare, startMain, type Target } from './workload.ts'
import { deleteKeys } from '../test/helpers/redis.ts'

/**
 * One server of scenario 6 alone: bare Fastify or fanbot (the image, at a log level) on cpu0, the load generator on
 * cpu1, the workload's traffic, a 3 s warm-up, then `--rounds` measured runs. Scenario 6 keeps all three servers
 * running on cpu0 at once; one alone has the core to itself (no other server's timers or idle-time GC). For
 * experiments: `--image-dir` runs a copy of image/ changed by hand (inside this repository), and the runs of two
 * variants are compared when made alternately in the same minutes (bench/README.md: this VM's speed moves by a fifth).
 *
 *   npx tsx bench/alone.ts --target=bare|warn|info [--node=PATH] [--rounds=2] [--duration=10]
 *                          [--image-dir=image-variants/x] [--node-flags="--max-semi-space-size=64"] [--env=K=V,...]
 *
 * `--env=REDIS_URL=redis://127.0.0.1:6379` runs it in scale-out mode, under a key prefix of its own that is deleted
 * after the runs (unless `REDIS_KEY_PREFIX` is given too).
 *
 * A variant: `cp -r image image-variants/x` (after a run without --image-dir has built image/), edit its compiled
 * JavaScript, and run with `--image-dir=image-variants/x`.
 */
const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'warn' },
    node: { type: 'string', default: process.execPath },
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '10' },
    'image-dir': { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: '' }
  }
})
const usage = (problem: string): never => {
  process.stderr.write(`bench/alone.ts: ${problem}\nusage: npx tsx bench/alone.ts --target=bare|warn|info [--node=PATH] [--rounds=N] ` +
    '[--duration=SEC] [--image-dir=DIR] [--node-flags="..."] [--env=K=V,...]\n')
  process.exit(2)
}
const TARGETS = ['bare', 'warn', 'info']
if (!TARGETS.includes(values.target)) usage(`--target must be one of ${TARGETS.join(', ')}, not ${values.target}`)
const positive = (name: string, text: string): number => {
  const value = Number(text)
  return Number.isInteger(value) && value > 0 ? value : usage(`--${name} must be a whole number above 0, not ${text}`)
}
const rounds = positive('rounds', values.rounds)
const durationS = positive('duration', values.duration)
const connections = 50
const env: Record<string, string> = Object.fromEntries(values.env.split(',').filter((pair) => pair !== '').map((pair) => {
  const at = pair.indexOf('=')
  return at > 0 ? [pair.slice(0, at), pair.slice(at + 1)] : usage(`--env takes NAME=VALUE pairs, not ${pair}`)
}))
// On Redis (`--env=REDIS_URL=…`) without a prefix of the caller's: keys under one of our own, deleted after the runs
// (quota keys live 48 h, and every test's clean-up SCANs the whole shared Redis). A prefix given is left alone.
const ownRedisKeys = env.REDIS_URL !== undefined && env.REDIS_KEY_PREFIX === undefined
if (ownRedisKeys) env.REDIS_KEY_PREFIX = `bench-alone-${process.pid}`
const nodeFlags = values['node-flags'].split(' ').filter((flag) => flag !== '')
const imageDir = values['image-dir']

pin(process.pid, 1)
const target: Target = values.target === 'bare'
  ? await startBare(values.node)
  : await startMain(values.target, values.node, true, undefined, { ...(imageDir === undefined ? {} : { imageDir }), env, nodeFlags })
// The variant's folder in each line: runs of two variants are told apart in one log.
const label = imageDir === undefined ? target.label : `${target.label}, ${imageDir}`
try {
  pin(target.pid, 0)
  await runLoad({ url: target.url, connections, durationS: 3, traffic: target.traffic })
  target.traffic.reset()
  for (let round = 0; round < rounds; round++) {
    await measure(target, { connections, durationS })
    const run = target.runs[round]
    if (run === undefined) continue
    process.stdout.write(`${label}, round ${round + 1}: ${fixed(run.rps)} req/s, ${fixed(run.usPerRequest, 1)} µs of server CPU per request, ` +
      `p50 / p99 ${run.result.latency.p50} / ${run.result.latency.p99} ms, load generator ${fixed(run.clientCpu, 2)} of its core, ` +
      `answers not "ok <type>" so far ${target.traffic.log.wrongAnswers}\n`)
  }
} finally {
  await target.close()
  if (ownRedisKeys && env.REDIS_URL !== undefined && env.REDIS_KEY_PREFIX !== undefined) await deleteKeys(env.REDIS_URL, env.REDIS_KEY_PREFIX)
}

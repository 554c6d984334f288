/**
 * What a session costs per push (issue 15), in-process, without HTTP: the handler run as the dispatcher made it
 * before sessions (`runHandler` alone) beside a fan's turn (fan queue, session load, run, save when changed), in
 * memory and on Redis, variants interleaved round by round so machine load hits them alike.
 *
 *   npx tsx bench/session-cost.ts [--pushes=20000] [--rounds=5] [--concurrency=32]     (REDIS_URL for the Redis rows)
 */
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { normaliseHandlers } from '../src/handler-loader.ts'
import { createHandlerRouter } from '../src/handler-router.ts'
import { runHandler } from '../src/handler-runner.ts'
import { createLogger } from '../src/logger.ts'
import type { Message } from '../src/message-schema.ts'
import { text } from '../src/reply.ts'
import { createFanTurns, type FanTurns } from '../src/session/fan-turn.ts'
import { createMemoryFanQueue } from '../src/session/memory-fan-queue.ts'
import { createMemorySessionStore } from '../src/session/memory-session-store.ts'
import { createRedisFanQueue } from '../src/session/redis-fan-queue.ts'
import { createRedisSessionStore } from '../src/session/redis-session-store.ts'
import type { WeiboApiClient } from '../src/weibo-api/client.ts'

const { values } = parseArgs({ options: { pushes: { type: 'string' }, rounds: { type: 'string' }, concurrency: { type: 'string' } } })
const PUSHES = Number(values.pushes ?? 20_000)
const ROUNDS = Number(values.rounds ?? 5)
const CONCURRENCY = Number(values.concurrency ?? 32)
const logger = createLogger({ level: 'silent' })
const api = {} as WeiboApiClient // the bench's handlers call no API
const shutdownSignal = new AbortController().signal

const handlers = normaliseHandlers({
  file: '<bench>',
  exported: [
    { on: 'text', match: 'touch', session: true, handle: (_m: Message, ctx: { session: { n?: number } }) => { ctx.session.n = (ctx.session.n ?? 0) + 1; return text('ok') } },
    { on: 'text', handle: () => text('ok') }
  ]
})
const router = createHandlerRouter(handlers, logger)

function push (index: number, round: number, kind: string): Message {
  // Unique fans (the worst case for memory: one session per fan), unique messages.
  return { type: 'text', text: kind, data: {}, sender_id: String(1_000_000 + index), receiver_id: '1902538057', created_at: `Mon Jul 16 18:09:${String(round % 60).padStart(2, '0')} +0800 2012` } as Message
}

type Variant = { name: string, once: (index: number, round: number) => Promise<unknown> }

function turnsOf (kind: 'memory' | 'redis', redis?: Redis, prefix?: string): FanTurns {
  return createFanTurns({
    router,
    middleware: [],
    sessions: kind === 'memory' || redis === undefined
      ? createMemorySessionStore({ max: 10_000_000, ttlMs: 3_600_000 })
      : createRedisSessionStore({ redis, prefix: prefix ?? 'bench', ttlMs: 600_000 }),
    queue: kind === 'memory' || redis === undefined ? createMemoryFanQueue() : createRedisFanQueue({ redis, prefix: prefix ?? 'bench', leaseMs: 10_000, logger }),
    api,
    logger,
    handlerTimeoutMs: 60_000
  })
}

const variants: Variant[] = [
  {
    name: 'handler alone (the run before sessions)',
    once: async (index, round) => {
      const message = push(index, round, 'plain')
      const handler = router.select(message)
      if (handler !== undefined) await runHandler({ handler, message, dedupKey: `${round}|${index}`, timeoutMs: 60_000, shutdownSignal, api, logger })
    }
  }
]
const memoryTurns = turnsOf('memory')
variants.push(
  { name: 'memory: turn, session read only', once: async (index, round) => await memoryTurns.run({ message: push(index, round, 'plain'), dedupKey: `m${round}|${index}`, shutdownSignal }) },
  { name: 'memory: turn, session changed', once: async (index, round) => await memoryTurns.run({ message: push(index, round, 'touch'), dedupKey: `t${round}|${index}`, shutdownSignal }) }
)
let redis: Redis | undefined
const prefix = `bench-session-${process.pid}`
if (process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== '') {
  redis = new Redis(process.env.REDIS_URL, { lazyConnect: true })
  await redis.connect()
  const redisTurns = turnsOf('redis', redis, prefix)
  variants.push(
    { name: 'redis: turn, session read only', once: async (index, round) => await redisTurns.run({ message: push(index, round, 'plain'), dedupKey: `rm${round}|${index}`, shutdownSignal }) },
    { name: 'redis: turn, session changed', once: async (index, round) => await redisTurns.run({ message: push(index, round, 'touch'), dedupKey: `rt${round}|${index}`, shutdownSignal }) }
  )
}

/** Runs `count` pushes, `CONCURRENCY` at a time; returns wall and CPU µs per push. */
async function measure (variant: Variant, round: number, count: number): Promise<{ wall: number, cpu: number }> {
  let next = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await variant.once(next++, round)
  }))
  const used = process.cpuUsage(cpu)
  return { wall: (performance.now() - started) * 1000 / count, cpu: (used.user + used.system) / count }
}

const results = new Map<string, Array<{ wall: number, cpu: number }>>()
// One round first for the JIT, not recorded.
for (const variant of variants) await measure(variant, ROUNDS, Math.min(PUSHES, 2000))
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of variants) {
    const count = variant.name.startsWith('redis') ? Math.min(PUSHES, 5000) : PUSHES
    const result = await measure(variant, round, count)
    results.set(variant.name, [...(results.get(variant.name) ?? []), result])
    process.stderr.write(`round ${round + 1} ${variant.name}: ${result.wall.toFixed(1)} µs wall, ${result.cpu.toFixed(1)} µs CPU\n`)
  }
}

const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0
const baseCpu = median((results.get(variants[0]?.name ?? '') ?? []).map((item) => item.cpu))
console.log(`| Variant (${PUSHES} pushes per round for memory, 5000 for Redis, ${CONCURRENCY} at once, ${ROUNDS} rounds) | wall µs/push (median, min–max) | CPU µs/push (median, min–max) | CPU vs handler alone |`)
console.log('|---|---|---|---|')
for (const [name, list] of results) {
  const walls = list.map((item) => item.wall)
  const cpus = list.map((item) => item.cpu)
  console.log(`| ${name} | ${median(walls).toFixed(1)} (${Math.min(...walls).toFixed(1)}–${Math.max(...walls).toFixed(1)}) | ${median(cpus).toFixed(1)} (${Math.min(...cpus).toFixed(1)}–${Math.max(...cpus).toFixed(1)}) | ${(median(cpus) / baseCpu).toFixed(2)}× |`)
}
if (redis !== undefined) {
  let cursor = '0'
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = nextCursor
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== '0')
  redis.disconnect()
}
process.exit(0)

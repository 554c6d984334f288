import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { readPush } from '../src/push-reader.ts'
import { makePush, pushToJson } from '../src/simulator/push-factory.ts'
import { deleteKeys } from '../test/helpers/redis.ts'

/**
 * CPU per push of fanbot's own work, without HTTP: `npx tsx bench/dispatch-cpu.ts [pushes] [rounds]`. Each push is
 * read by the real push reader and dispatched (dedup, quota record, handler run, passive reply body), 50 at a time as
 * 50 connections would. For A/B checks of changes to that path; the load scenarios give the real ratio. With REDIS_URL
 * in the environment, on Redis (keys under `bench-dispatch-<pid>`, each with the TTL the stores give it).
 */
const count = Number(process.argv[2] ?? 100_000)
const rounds = Number(process.argv[3] ?? 5)
// With REDIS_URL set, the same path in scale-out mode (dedup, quota on Redis), under a key prefix of its own.
const redisUrl = process.env.REDIS_URL
const redis = redisUrl === undefined || redisUrl === '' ? {} : { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `bench-dispatch-${process.pid}` }
const app = await buildApp({
  config: loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', WEIBO_APP_SECRET: 'bench-secret', DEDUP_MAX: String(count * rounds), ...redis }),
  handlers: [{ name: 'ok', on: '*', handle: (message) => ({ type: 'text', text: `ok ${message.type}` }) }]
})
const { dispatcher } = app.fanbot
let id = 0
const figures: number[] = []
for (let round = 0; round < rounds; round++) {
  const bodies = Array.from({ length: count }, () => {
    const n = id++
    return pushToJson(makePush({ type: 'text', text: `你好 ${n}`, senderId: String(5_000_000_000 + n), createdAt: new Date(Date.UTC(2026, 11, 1) + n * 1000) }))
  })
  const started = process.cpuUsage()
  for (let index = 0; index < count; index += 50) {
    await Promise.all(bodies.slice(index, index + 50).map(async (raw) => {
      const reading = readPush(raw)
      if (reading.kind !== 'message') throw new Error('unexpected')
      return await dispatcher.dispatch(reading.message)
    }))
  }
  const cpu = process.cpuUsage(started)
  figures.push((cpu.user + cpu.system) / count)
}
process.stdout.write(`µs per push, by round: ${figures.map((value) => value.toFixed(2)).join(', ')}; best ${Math.min(...figures).toFixed(2)}\n`)
await app.close()
// Its keys go with it: quota keys live 48 h, and every test's clean-up SCANs the whole shared Redis.
if (redis.REDIS_URL !== undefined) await deleteKeys(redis.REDIS_URL, redis.REDIS_KEY_PREFIX)

import { pino } from 'pino'
import { setImmediate, setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/logger.ts'
import { makePush, pushToJson } from '../src/simulator/push-factory.ts'
import { createFreshUrls } from './fresh-url.ts'

/**
 * CPU per push of the whole callback route in-process, through Fastify's `inject` (no sockets): hooks, signature
 * check, replay guard, read, dispatch, metrics, the log line, the reply. For A/B checks of changes outside the
 * dispatcher (which `dispatch-cpu.ts` covers); `inject` adds a fixed cost of its own, the same on both sides.
 * `npx tsx bench/route-cpu.ts [pushes] [rounds] [LOG_LEVEL]` (default 20000, 5, silent; info lines go to /dev/null).
 */
const count = Number(process.argv[2] ?? 20_000)
const rounds = Number(process.argv[3] ?? 5)
const level = process.argv[4] ?? 'silent'
const secret = 'bench-route-secret'
// The overload guard is off: on a loaded machine a descheduled process sees event-loop delays of a second and sheds
// pushes. (Its own cost per request, one hook, is then not in the figure.)
const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: level, WEIBO_APP_SECRET: secret, DEDUP_MAX: String(count * rounds), OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' })
const app = await buildApp({
  config,
  logger: createLogger({ level: config.logLevel, destination: pino.destination({ dest: '/dev/null', sync: true }) }),
  handlers: [{ name: 'ok', on: '*', handle: (message) => ({ type: 'text', text: `ok ${message.type}` }) }]
})
let id = 0
const freshUrl = createFreshUrls('http://127.0.0.1', config.callbackPath, secret)
const figures: number[] = []
for (let round = 0; round < rounds; round++) {
  // Signed just before the round: each a fresh URL (timestamp and nonce), as Weibo sends them. Made in slices with
  // pauses, so that the overload guard (event-loop delay) sees a calm loop when the round starts.
  const requests: Array<{ url: string, payload: string }> = []
  while (requests.length < count) {
    for (let slice = 0; slice < 500 && requests.length < count; slice++) {
      const url = freshUrl()
      const n = id++
      requests.push({
        url,
        payload: pushToJson(makePush({ type: 'text', text: `你好 ${n}`, senderId: String(5_000_000_000 + n), createdAt: new Date(Date.UTC(2026, 11, 1) + n * 1000) }))
      })
    }
    await setImmediate()
  }
  await sleep(1000)
  const started = process.cpuUsage()
  for (let index = 0; index < count; index += 50) {
    await Promise.all(requests.slice(index, index + 50).map(async ({ url, payload }) => {
      const response = await app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } })
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}: ${response.body}`)
    }))
    await setImmediate() // a turn of the event loop between batches, as between socket reads
  }
  const cpu = process.cpuUsage(started)
  figures.push((cpu.user + cpu.system) / count)
}
process.stderr.write(`LOG_LEVEL=${level}: µs per push, by round: ${figures.map((value) => value.toFixed(2)).join(', ')}; best ${Math.min(...figures).toFixed(2)}\n`)
await app.close()

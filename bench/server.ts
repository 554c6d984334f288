import Fastify, { type FastifyInstance } from 'fastify'
import { scenarioHandlers, type HandlerCounts, type ScenarioName } from './scenario-handlers.ts'

/**
 * One benchmark target in its own process, so the server gets a core of its own and the load generator the other:
 * `node --import tsx bench/server.ts '<ServerSpec JSON>'`. It reports its port over IPC and answers `stats`,
 * `reset`, `drain` and `close` messages from bench/run.ts.
 */
export interface ServerSpec {
  kind: 'real' | 'bare'
  scenario: ScenarioName
  secret: string
  path: string
  replyDeadlineMs?: number
  slowHandlerMs?: number
  apiBaseUrl?: string
  accessToken?: string
  /** Shared dedup on this Redis (the scale-out mode), under a prefix of this run's own. */
  redisUrl?: string
  redisKeyPrefix?: string
  /** The real server from the compiled image layout (image/src/*.js, see node-command.ts) instead of the sources. */
  image?: boolean
}

/** The app's modules: the sources, or the image's compiled JavaScript (what production runs). */
async function appModules (image: boolean): Promise<{ buildApp: typeof import('../src/app.ts').buildApp, loadConfig: typeof import('../src/config.ts').loadConfig }> {
  if (!image) return { ...await import('../src/app.ts'), ...await import('../src/config.ts') }
  const dir = new URL('../image/src/', import.meta.url).href
  const app = await import(`${dir}app.js`) as typeof import('../src/app.ts')
  const config = await import(`${dir}config.js`) as typeof import('../src/config.ts')
  return { buildApp: app.buildApp, loadConfig: config.loadConfig }
}

export interface ServerStats {
  /** CPU time of this process since the last reset, in ms (user + system). */
  cpuMs: number
  counts?: HandlerCounts
  /** Retries recognised by the dedup store, from the app's own metrics. */
  duplicates?: { joined: number, replayed: number }
  deadlineHandoffs?: number
  dedupEntries?: number
}

export type ServerRequest = { type: 'stats' | 'reset' | 'drain' | 'close', id: number }

/** About the size of the real server's passive reply, so both servers write similar responses. */
export const BARE_BODY = JSON.stringify({ result: true, sender_id: '1902538057', receiver_id: '3000000001', type: 'text', data: '%7B%22text%22%3A%22ok%20id-1%22%7D' })

async function buildBare (spec: ServerSpec): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  // Fastify's own JSON parser reads the body: the same parse the real route does, with nothing after it.
  app.post(spec.path, async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null) throw new Error('expected a JSON body')
    return await reply.type('application/json; charset=utf-8').send(BARE_BODY)
  })
  return app
}

async function main (): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec
  const scenario = scenarioHandlers(spec.scenario, spec.slowHandlerMs ?? 0)
  const { buildApp, loadConfig } = await appModules(spec.image === true)
  const app = spec.kind === 'bare'
    ? await buildBare(spec)
    : await buildApp({
      config: loadConfig({
        NODE_ENV: 'production',
        LOG_LEVEL: 'silent',
        WEIBO_APP_SECRET: spec.secret,
        CALLBACK_PATH: spec.path,
        ...(spec.replyDeadlineMs === undefined ? {} : { REPLY_DEADLINE_MS: String(spec.replyDeadlineMs) }),
        ...(spec.apiBaseUrl === undefined ? {} : { WEIBO_API_BASE_URL: spec.apiBaseUrl }),
        ...(spec.accessToken === undefined ? {} : { WEIBO_ACCESS_TOKEN: spec.accessToken }),
        ...(spec.redisUrl === undefined ? {} : { REDIS_URL: spec.redisUrl, REDIS_KEY_PREFIX: spec.redisKeyPrefix ?? 'bench' })
      }),
      handlers: scenario.handlers
    })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0

  let cpuBase = process.cpuUsage()
  const stats = async (): Promise<ServerStats> => {
    const cpu = process.cpuUsage(cpuBase)
    const result: ServerStats = { cpuMs: (cpu.user + cpu.system) / 1000 }
    if (spec.kind === 'bare') return result
    const { metrics, store } = app.fanbot
    const duplicates = (await metrics.duplicates.get()).values
    const kind = (name: string): number => duplicates.find((value) => value.labels.kind === name)?.value ?? 0
    return {
      ...result,
      counts: scenario.counts(),
      duplicates: { joined: kind('joined'), replayed: kind('replayed') },
      deadlineHandoffs: (await metrics.deadlineHandoffs.get()).values[0]?.value ?? 0,
      dedupEntries: store.size
    }
  }

  process.on('message', (message: ServerRequest) => {
    const answer = async (): Promise<unknown> => {
      switch (message.type) {
        case 'reset':
          // After the warm-up: count only the measured run.
          cpuBase = process.cpuUsage()
          scenario.reset()
          if (spec.kind === 'real') app.fanbot.metrics.registry.resetMetrics()
          return null
        case 'stats': return await stats()
        case 'drain':
          // Late handlers and their replies still run after the load stops; wait for them before counting.
          if (spec.kind === 'real') await app.fanbot.dispatcher.idle()
          return await stats()
        case 'close':
          await app.close()
          return null
      }
    }
    answer().then((value) => {
      process.send?.({ id: message.id, value }, () => {
        // Exit (rather than wait for the IPC channel) so a --cpu-prof profile is written at once.
        if (message.type === 'close') process.exit(0)
      })
    }, (error: unknown) => {
      process.send?.({ id: message.id, error: String(error) })
    })
  })
  process.send?.({ ready: true, port })
}

await main()

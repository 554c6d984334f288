import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import type { Handler } from '../../src/handler.ts'
import type { Logger } from '../../src/logger.ts'
import type { PushStreamOptions } from '../../src/simulator/fake-push-stream.ts'
import { startSimulator, type Simulator } from '../../src/simulator/simulator.ts'
import { TEST_SECRET, TEST_TOKEN, testConfig } from './config.ts'

export const SUBID = '1024'

/** The simulator serving the push stream with short closing rules, closed when the test ends. */
export async function streamSimulator (t: Pick<TestContext, 'after'>, pushStream: PushStreamOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ secret: TEST_SECRET, accessToken: TEST_TOKEN, pushStream: { subid: SUBID, ...pushStream } })
  t.after(sim.close)
  return sim
}

const folders: string[] = []

/** A temp folder for the since_id file; `removeTempFolders` (a suite's `after`) removes them once every bot is closed. */
export async function tempFolder (): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'fanbot-stream-'))
  folders.push(folder)
  return folder
}

export async function removeTempFolders (): Promise<void> {
  await Promise.all(folders.splice(0).map(async (folder) => { await rm(folder, { recursive: true, force: true }) }))
}

export interface StreamBotOptions {
  sim: Simulator
  handlers?: readonly Handler[]
  handlersDir?: string
  sinceIdFile: string
  logger?: Logger
  env?: Record<string, string>
}

/** A bot whose every Weibo host is the simulator, holding its push stream once ready. Close it yourself (restart tests). */
export async function startStreamBot (options: StreamBotOptions): Promise<FastifyInstance> {
  const { sim } = options
  const app = await buildApp({
    config: testConfig({
      WEIBO_ACCESS_TOKEN: TEST_TOKEN,
      WEIBO_API_BASE_URL: sim.apiBaseUrl,
      WEIBO_C_API_BASE_URL: sim.apiBaseUrl,
      WEIBO_PUSH_SUBID: SUBID,
      WEIBO_PUSH_URL: sim.pushStreamUrl,
      WEIBO_PUSH_SINCE_ID_FILE: options.sinceIdFile,
      WEIBO_PUSH_RECONNECT_MIN_MS: '20',
      WEIBO_PUSH_RECONNECT_MAX_MS: '100',
      ...(options.handlersDir === undefined ? {} : { HANDLERS_DIR: options.handlersDir }),
      ...options.env
    }),
    ...(options.handlers === undefined ? {} : { handlers: options.handlers }),
    ...(options.logger === undefined ? {} : { logger: options.logger })
  })
  await app.ready()
  return app
}

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

/** The shared test Redis, from REDIS_URL (.ci/run sets it); undefined when unset. */
export function redisUrl (): string | undefined {
  const url = process.env.REDIS_URL
  return url === undefined || url === '' ? undefined : url
}

/** For `test(name, { skip: skipWithoutRedis }, …)`: the reason a Redis test cannot run here, or false. */
export const skipWithoutRedis: string | false = redisUrl() === undefined
  ? 'REDIS_URL is not set: start Redis (redis-server) and set REDIS_URL=redis://127.0.0.1:6379 to run this test'
  : false

/** A key prefix of its own for one test, so runs sharing one Redis never see each other's keys. */
export function uniquePrefix (): string {
  return `test-${randomBytes(6).toString('hex')}`
}

/**
 * Deletes every key under `prefix` (SCAN, not KEYS, so a shared Redis is not blocked). SCAN walks the whole keyspace
 * whatever the MATCH, so the cost is the shared Redis's size, not the test's: with ~430,000 keys there (benchmarks'
 * quota keys live 48 h), COUNT 500 took 860 round trips, 13 s per test world under load, and kept redis-server busy
 * for every other test. 10,000 keys per call is 43 round trips, each a few milliseconds of Redis's time.
 */
export async function deleteKeys (url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

export interface OwnRedis {
  url: string
  port: number
  /** The running redis-server's pid (for SIGSTOP/SIGCONT); changes after `start`. */
  readonly pid: number
  stop: () => Promise<void>
  /** Starts it again on the same port (after `stop`). */
  start: () => Promise<void>
}

/**
 * A redis-server of the test's own, on another port, that the test may stop and start (never the shared one).
 * Nothing is kept on disk.
 */
export async function startOwnRedis (port: number): Promise<OwnRedis> {
  let child: ChildProcess | undefined
  const url = `redis://127.0.0.1:${port}`
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    for (let attempt = 0; attempt < 100; attempt++) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => {})
      try {
        await probe.connect()
        await probe.ping()
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50))
      } finally {
        probe.disconnect()
      }
    }
    throw new Error(`redis-server did not start on port ${port}`)
  }
  const stop = async (): Promise<void> => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
  await start()
  return { url, port, start, stop, get pid () { return child?.pid ?? 0 } }
}

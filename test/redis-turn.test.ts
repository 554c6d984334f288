/**
 * The dedup connection sends the commands of one event-loop turn in one socket write (src/redis-turn.ts).
 * Counted on Redis's side, on a redis-server of the test's own (no other client): `total_reads_processed` grows by
 * one per read of a client socket. Without coalescing, 20 commands sent in one turn are ~20 writes and as many reads.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import type { Redis } from 'ioredis'
import { redisTurn } from '../src/redis-turn.ts'
import { connectRedis } from '../src/storage/redis-connection.ts'
import { captureLogs } from './helpers/logs.ts'
import { freePort } from './helpers/ports.ts'
import { startOwnRedis } from './helpers/redis.ts'

const REDIS_AVAILABLE = process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== ''

async function readsBy (control: Redis, run: () => Promise<unknown>): Promise<number> {
  const reads = async (): Promise<number> => Number(/total_reads_processed:(\d+)/.exec(await control.info('stats'))?.[1])
  const before = await reads()
  await run()
  // The second INFO is one read of its own.
  return await reads() - before - 1
}

test('commands sent in one turn go to Redis in one write, on every connection after a reconnect too', { skip: REDIS_AVAILABLE ? false : 'needs redis-server (set REDIS_URL)' }, async (t) => {
  const own = await startOwnRedis(await freePort())
  t.after(async () => { await own.stop() })
  const logger = captureLogs('info').logger
  const control = await connectRedis({ url: own.url, logger, name: 'test-control' })
  const redis = await connectRedis({ url: own.url, logger, name: 'test-coalesced' })
  t.after(() => { control.disconnect(); redis.disconnect() })
  redisTurn(redis)
  const twenty = async (): Promise<unknown> => await Promise.all(Array.from({ length: 20 }, async (_, index) => await redis.set(`k${index}`, String(index))))

  assert.equal(await readsBy(control, twenty), 1)
  assert.equal(await redis.get('k19'), '19', 'every command was sent and answered')

  // A new socket after a reconnect is coalesced as well.
  const back = once(redis, 'ready')
  await control.client('KILL', 'SKIPME', 'yes', 'TYPE', 'normal')
  await back
  assert.equal(await readsBy(control, twenty), 1)
})

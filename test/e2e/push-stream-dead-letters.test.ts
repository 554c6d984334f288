import assert from 'node:assert/strict'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { defineHandler } from '../../src/index.ts'
import { runCli } from '../helpers/cli.ts'
import { waitFor } from '../helpers/deferred.ts'
import { captureLogs } from '../helpers/logs.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'
import { removeTempFolders, startStreamBot, streamSimulator, tempFolder } from '../helpers/push-stream-e2e.ts'

describe('push stream handler failures, end to end', () => {
  after(removeTempFolders)

  test('a record whose handler fails for good is listed by stream failed, and stream retry replays it on the running server', { skip: skipWithoutRedis }, async (t) => {
    const url = redisUrl() as string
    const prefix = uniquePrefix()
    t.after(async () => { await deleteKeys(url, prefix) })
    const sim = await streamSimulator(t)
    let broken = true
    const handled: string[] = []
    const handler = defineHandler({
      name: 'archiver',
      on: 'status',
      handle (message) {
        if (broken) throw new Error('archive table missing')
        handled.push(message.id)
      }
    })
    const logs = captureLogs('info')
    const env = { REDIS_URL: url, REDIS_KEY_PREFIX: prefix }
    const app = await startStreamBot({ sim, handlers: [handler], sinceIdFile: path.join(await tempFolder(), 'since-id'), logger: logs.logger, env })
    t.after(async () => { await app.close() })
    await sim.pushStream.waitForConnection()
    const { id } = sim.pushStream.publish({ text: '关键词' })
    await waitFor(() => logs.lines().some((line) => (line.pushStream as { code?: string } | undefined)?.code === 'WEIBO_ERR_STREAM_HANDLER_FAILED'))

    const listed = await runCli(['stream', 'failed'], { env })
    assert.equal(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, new RegExp(`^${id}  failed \\S+ after 1 attempt  handler archiver  status\\n {4}WEIBO_ERR_HANDLER_THREW: .*archive table missing`, 'm'))

    broken = false
    const retried = await runCli(['stream', 'retry', id], { env })
    assert.equal(retried.code, 0, retried.stderr)
    await waitFor(() => handled.length === 1, 10_000)
    assert.deepEqual(handled, [id])
    assert.equal((await runCli(['stream', 'failed'], { env })).stdout, 'no failed push stream records\n')
    const metrics = (await app.inject({ url: '/metrics' })).body
    assert.match(metrics, /weibo_fanbot_stream_handler_failures_total\{outcome="dead-lettered"\} 1/)
    assert.match(metrics, /weibo_fanbot_stream_handler_failures_total\{outcome="replayed"\} 1/)
  })
})

import assert from 'node:assert/strict'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { defineHandler, type StreamMessage } from '../../src/index.ts'
import { EXAMPLES_DIR } from '../helpers/examples.ts'
import { captureLogs } from '../helpers/logs.ts'
import { waitFor } from '../helpers/deferred.ts'
import { recordLine } from '../../src/simulator/fake-push-stream.ts'
import { deleteKeys, redisUrl, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts'
import { Redis } from 'ioredis'
import { removeTempFolders, startStreamBot, streamSimulator, SUBID, tempFolder } from '../helpers/push-stream-e2e.ts'

function collector (): { seen: StreamMessage[], handler: ReturnType<typeof defineHandler<'status' | 'comment'>> } {
  const seen: StreamMessage[] = []
  return { seen, handler: defineHandler({ on: ['status', 'comment'], handle (message) { seen.push(message) } }) }
}

describe('the commercial push stream, end to end against the simulator', () => {
  after(removeTempFolders)

  test('a weibo naming the brand gets its author a direct message (the stream-keyword example)', async (t) => {
    const sim = await streamSimulator(t)
    const logs = captureLogs('info')
    const app = await startStreamBot({ sim, handlersDir: EXAMPLES_DIR, sinceIdFile: path.join(await tempFolder(), 'since-id'), logger: logs.logger })
    t.after(async () => { await app.close() })
    await sim.pushStream.waitForConnection()
    sim.api.recordFanActivity({ type: 'event', sender_id: '3001', data: { subtype: 'follow' } })
    sim.pushStream.publish({ text: '今天的青柚茶真好喝', uid: '3001', keyword: '青柚' })
    sim.pushStream.publish({ text: '今天天气不错', uid: '3001' })
    sim.pushStream.publish({ text: 'qingyou 新品来了', uid: '3002', keyword: 'qingyou' }) // not a follower
    await waitFor(() => logs.lines().filter((line) => String(line.msg).includes('author')).length >= 2)
    const dms = sim.conversation.entries().filter((entry) => entry.from === 'bot' && entry.via === 'direct-message')
    assert.equal(dms.length, 1)
    assert.equal(dms[0]?.fanId, '3001')
    assert.match(JSON.stringify(dms[0]), /看到你提到了青柚茶饮/)
    const facts = logs.lines().filter((line) => line.stream !== undefined).map((line) => [line.msg, (line.stream as { author: string }).author])
    assert.deepEqual(facts, [
      ['messaged the author of a weibo that names us', '3001'],
      ['the author does not follow us: not messaged', '3002']
    ])
  })

  test('records reach handlers on their type with match_info, never a "*" handler; each id once', async (t) => {
    const sim = await streamSimulator(t)
    const { seen, handler } = collector()
    const fanPushes: unknown[] = []
    const app = await startStreamBot({
      sim,
      handlers: [handler, defineHandler({ on: '*', handle (message) { fanPushes.push(message) } })],
      sinceIdFile: path.join(await tempFolder(), 'since-id')
    })
    t.after(async () => { await app.close() })
    await sim.pushStream.waitForConnection()
    const status = sim.pushStream.publish({ text: '关键词 A', uid: '3003', screenName: 'fan_3003', keyword: 'A' })
    sim.pushStream.publish({ type: 'comment', text: '评论里的关键词', uid: '3004' })
    sim.pushStream.publishRaw(recordLine(status)) // Weibo sent the same record again
    await waitFor(() => seen.length >= 2)
    await app.fanbot.dispatcher.idle()
    assert.deepEqual(seen.map((message) => [message.type, message.text, message.user.id]), [
      ['status', '关键词 A', '3003'],
      ['comment', '评论里的关键词', '3004']
    ])
    assert.equal(seen[0]?.id, status.id)
    assert.equal(seen[0]?.user.screen_name, 'fan_3003')
    assert.equal(seen[0]?.match_info?.keyword, 'A')
    assert.deepEqual(fanPushes, [])
    const metrics = (await app.inject({ url: '/metrics' })).body
    assert.match(metrics, /weibo_fanbot_stream_records_total\{outcome="handled"\} 2/)
    assert.match(metrics, /weibo_fanbot_stream_records_total\{outcome="duplicate"\} 1/)
    assert.match(metrics, /weibo_fanbot_stream_connected 1/)
  })

  test('holding the stream with no handler on status or comment is warned about at start', async (t) => {
    const sim = await streamSimulator(t)
    const logs = captureLogs('info')
    const app = await startStreamBot({ sim, handlers: [defineHandler({ on: 'text', handle () {} })], sinceIdFile: path.join(await tempFolder(), 'since-id'), logger: logs.logger })
    t.after(async () => { await app.close() })
    assert.ok(logs.lines().some((line) => line.level === 40 && /no handler listens to 'status' or 'comment'/.test(String(line.msg))))
  })

  test('a restart resumes after the saved since_id: no record twice, none lost, not the 100-record replay', async (t) => {
    const sim = await streamSimulator(t)
    const sinceIdFile = path.join(await tempFolder(), 'since-id')
    const first = collector()
    for (let index = 0; index < 5; index++) sim.pushStream.publish({ text: `old ${index}` }) // before the bot ever ran
    const app = await startStreamBot({ sim, handlers: [first.handler], sinceIdFile })
    const initial = await sim.pushStream.waitForConnection()
    assert.equal(initial.sinceId, undefined, 'a first run starts with the recent records')
    await waitFor(() => first.seen.length === 5)
    const last = sim.pushStream.publish({ text: 'last before restart' })
    await waitFor(() => first.seen.length === 6)
    await app.close()

    sim.pushStream.publish({ text: 'while down 1' })
    sim.pushStream.publish({ text: 'while down 2' })
    const second = collector()
    const restarted = await startStreamBot({ sim, handlers: [second.handler], sinceIdFile })
    t.after(async () => { await restarted.close() })
    const resumed = await sim.pushStream.waitForConnection()
    assert.equal(resumed.sinceId, last.id)
    assert.equal(resumed.resumed, true)
    await waitFor(() => second.seen.length === 2)
    assert.deepEqual(second.seen.map((message) => message.text), ['while down 1', 'while down 2'])
  })

  test('Weibo closing an idle connection, or one open too long, is followed by a reconnect from the last record', async (t) => {
    const sim = await streamSimulator(t, { idleCloseMs: 150, maxConnectionMs: 600 })
    const { seen, handler } = collector()
    const app = await startStreamBot({ sim, handlers: [handler], sinceIdFile: path.join(await tempFolder(), 'since-id') })
    t.after(async () => { await app.close() })
    const first = await sim.pushStream.waitForConnection()
    const record = sim.pushStream.publish({ text: 'one' })
    assert.equal(await first.closed, 'idle')
    const second = await sim.pushStream.waitForConnection()
    assert.equal(second.sinceId, record.id)
    // Keep the second connection busy past maxConnectionMs: Weibo closes it anyway.
    const timer = setInterval(() => { sim.pushStream.publish({ text: 'tick' }) }, 50)
    t.after(() => { clearInterval(timer) })
    assert.equal(await second.closed, 'max-time')
    clearInterval(timer)
    const third = await sim.pushStream.waitForConnection()
    assert.equal(third.sinceId, seen.at(-1)?.id)
    sim.pushStream.publish({ text: 'after reconnect' })
    await waitFor(() => seen.at(-1)?.text === 'after reconnect')
    const metrics = (await app.inject({ url: '/metrics' })).body
    assert.match(metrics, /weibo_fanbot_stream_connections_total\{reason="end"\} [2-9]/)
  })

  test('each stream connection counts against the commercial budget (WEIBO_C_API_REQUESTS_PER_HOUR)', async (t) => {
    const sim = await streamSimulator(t)
    const app = await startStreamBot({ sim, handlers: [collector().handler], sinceIdFile: path.join(await tempFolder(), 'since-id'), env: { WEIBO_C_API_REQUESTS_PER_HOUR: '1' } })
    t.after(async () => { await app.close() })
    await sim.pushStream.waitForConnection()
    await sim.pushStream.endConnections() // Weibo's normal close: the bot would reconnect at once
    await new Promise((resolve) => setTimeout(resolve, 400))
    assert.equal(sim.api.calls.filter((call) => call.path === '/commercial/push').length, 1, 'the budget of 1 per hour is spent')
  })

  test('a record that does not parse is skipped; the next one still arrives', async (t) => {
    const sim = await streamSimulator(t)
    const logs = captureLogs('info')
    const { seen, handler } = collector()
    const app = await startStreamBot({ sim, handlers: [handler], sinceIdFile: path.join(await tempFolder(), 'since-id'), logger: logs.logger })
    t.after(async () => { await app.close() })
    await sim.pushStream.waitForConnection()
    sim.pushStream.publishRaw('{"id":4000000000000999,"text":{"type":"status",\r\n')
    sim.pushStream.publish({ text: 'fine' }, { fragment: true })
    await waitFor(() => seen.length === 1)
    assert.equal(seen[0]?.text, 'fine')
    const warning = logs.lines().find((line) => (line.pushStream as { code?: string } | undefined)?.code === 'WEIBO_ERR_STREAM_RECORD_INVALID')
    assert.ok(warning !== undefined, 'the bad record is logged with its code')
  })

  test('"Ip is limited" is one fatal log line with the fix; the stream heals once the IP is allowed', async (t) => {
    const sim = await streamSimulator(t)
    sim.pushStream.limitIp(true)
    const logs = captureLogs('info')
    const { seen, handler } = collector()
    const app = await startStreamBot({ sim, handlers: [handler], sinceIdFile: path.join(await tempFolder(), 'since-id'), logger: logs.logger })
    t.after(async () => { await app.close() })
    await waitFor(() => logs.lines().some((line) => line.level === 60))
    await waitFor(() => sim.api.calls.filter((call) => call.path === '/commercial/push').length >= 3) // still retrying
    const fatal = logs.lines().filter((line) => line.level === 60)
    assert.equal(fatal.length, 1)
    assert.match(JSON.stringify(fatal[0]), /WEIBO_ERR_STREAM_IP_LIMITED/)
    sim.pushStream.limitIp(false)
    await sim.pushStream.waitForConnection()
    sim.pushStream.publish({ text: 'healed' })
    await waitFor(() => seen.length === 1)
  })

  test('two replicas on one Redis both hold the stream; each record is handled once, and the position is shared', { skip: skipWithoutRedis }, async (t) => {
    const url = redisUrl() as string
    const prefix = uniquePrefix()
    t.after(async () => { await deleteKeys(url, prefix) })
    const sim = await streamSimulator(t)
    const seen: string[] = []
    const handler = defineHandler({ on: 'status', handle (message) { seen.push(message.id) } })
    const env = { REDIS_URL: url, REDIS_KEY_PREFIX: prefix }
    const folder = await tempFolder()
    const a = await startStreamBot({ sim, handlers: [handler], sinceIdFile: path.join(folder, 'a'), env })
    const b = await startStreamBot({ sim, handlers: [handler], sinceIdFile: path.join(folder, 'b'), env })
    t.after(async () => { await Promise.all([a.close(), b.close()]) })
    await sim.pushStream.waitForConnection()
    await sim.pushStream.waitForConnection()
    const published = Array.from({ length: 20 }, (_, index) => sim.pushStream.publish({ text: `record ${index}` }).id)
    await waitFor(() => seen.length >= 20)
    await new Promise((resolve) => setTimeout(resolve, 200)) // a second handling would show up by now
    assert.deepEqual([...seen].sort(), [...published].sort())
    const redis = new Redis(url)
    t.after(() => { redis.disconnect() })
    let position: string | null = null
    for (let tries = 0; tries < 100 && position !== published.at(-1); tries++) {
      position = await redis.get(`${prefix}:stream:since-id:${SUBID}`)
      if (position !== published.at(-1)) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.equal(position, published.at(-1), 'the shared since_id reached the last record')
  })
})

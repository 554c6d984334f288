import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { TestContext } from 'node:test'
import { formatWeiboDate } from '../../src/simulator/push-factory.ts'
import { createMemorySinceIdStore } from '../../src/push-stream/memory-since-id-store.ts'
import { startPushStream, type CloseReason, type PushStream, type PushStreamOptions } from '../../src/push-stream/push-stream-client.ts'
import type { RecordOutcome } from '../../src/push-stream/record-processor.ts'
import { createMemoryStreamDedup } from '../../src/push-stream/memory-stream-dedup-store.ts'
import type { StreamRecord } from '../../src/push-stream/stream-record.ts'
import { Redis } from 'ioredis'
import { createRedisStreamDeadLetters } from '../../src/push-stream/redis-stream-dead-letter-store.ts'
import type { StreamDeadLetterStore } from '../../src/push-stream/stream-dead-letter-store.ts'
import { captureLogs, type CapturedLogs } from './logs.ts'
import { deleteKeys, redisUrl, uniquePrefix } from './redis.ts'

/** One request the client made to the fake stream; the test answers it by hand. */
export interface StreamRequest {
  /** The query Weibo would see. */
  subid: string | null
  sinceId: string | null
  /** When it arrived (ms, `performance.now()`). */
  at: number
  /** Sends a 2xx status and headers now, body to follow. */
  open: (status?: number) => void
  /** Writes raw bytes (opening with 200 first if needed); resolves once handed to the socket. */
  write: (chunk: string | Uint8Array) => Promise<void>
  end: (chunk?: string) => void
  /** Answers with an error status and body, and ends. */
  fail: (status: number, body?: string) => void
  /** Resolves when the connection is gone (client aborted, or we ended it). */
  closed: Promise<void>
}

/** A tiny stand-in for `commercial/push` on 127.0.0.1: each request waits for the test to answer it. */
export interface FakeStream {
  url: string
  requests: StreamRequest[]
  /** The `n`th request (1-based), waiting for it to arrive. */
  request: (n: number, timeoutMs?: number) => Promise<StreamRequest>
  close: () => Promise<void>
}

function answerable (req: IncomingMessage, res: ServerResponse): StreamRequest {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams
  const closed = once(res, 'close').then(() => {})
  const open = (status = 200): void => {
    if (res.headersSent) return
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' })
    res.flushHeaders()
  }
  return {
    subid: query.get('subid'),
    sinceId: query.get('since_id'),
    at: performance.now(),
    open,
    async write (chunk) {
      open()
      await new Promise<void>((resolve) => { res.write(chunk, () => { resolve() }) })
    },
    end (chunk) {
      open()
      res.end(chunk)
    },
    fail (status, body = '') {
      res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' })
      res.end(body)
    },
    closed
  }
}

export async function startFakeStream (t: TestContext): Promise<FakeStream> {
  const requests: StreamRequest[] = []
  const waiting: Array<() => void> = []
  const server = createServer((req, res) => {
    requests.push(answerable(req, res))
    for (const wake of waiting.splice(0)) wake()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const fake: FakeStream = {
    url: `http://127.0.0.1:${port}/commercial/push`,
    requests,
    async request (n, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`request ${n} did not come within ${timeoutMs} ms (got ${requests.length})`)
        await new Promise<void>((resolve) => {
          waiting.push(resolve)
          setTimeout(resolve, 50)
        })
      }
      const request = requests[n - 1]
      if (request === undefined) throw new Error('unreachable')
      return request
    },
    async close () {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
  t.after(async () => { await fake.close() })
  return fake
}

/** A record line as Weibo sends it (CRLF included), ids as bare JSON numbers. */
export function recordLine (id: string, options: { text?: string, event?: string, type?: string, statusId?: string, createdAt?: Date } = {}): string {
  const type = options.type ?? 'status'
  // Written now unless said otherwise: an old record is backlog, skipped by default (stream-backlog.ts).
  const status = `{"created_at":"${formatWeiboDate(options.createdAt ?? new Date())}","id":${options.statusId ?? '3700057402482222'},"mid":"3700057402482222","text":${JSON.stringify(options.text ?? 'hello')},"user":{"id":2084126291,"screen_name":"fan"},"mentions":[2084126292],"source_id":780}`
  return `{"id":${id},"text":{"type":"${type}","event":"${options.event ?? 'add'}","${type}":${status}},"match_info":{"keyword":"k","uid":0}}\r\n`
}

export interface TestClient {
  stream: PushStream
  logs: CapturedLogs
  records: StreamRecord[]
  outcomes: RecordOutcome[]
  closes: CloseReason[]
}

/** Starts a client on the fake stream with in-memory stores and a captured log; closed after the test. */
export function startTestClient (t: TestContext, fake: FakeStream, options: Partial<PushStreamOptions> = {}): TestClient {
  const logs = captureLogs('debug')
  const records: StreamRecord[] = []
  const outcomes: RecordOutcome[] = []
  const closes: CloseReason[] = []
  const stream = startPushStream({
    url: fake.url,
    subid: '1001',
    sinceIds: createMemorySinceIdStore(),
    dedup: createMemoryStreamDedup(),
    onRecord: async (record) => { records.push(record) },
    logger: logs.logger,
    idleTimeoutMs: 2000,
    reconnectMinMs: 10,
    reconnectMaxMs: 100,
    drainTimeoutMs: 500,
    ...options,
    observer: {
      record: (outcome) => { outcomes.push(outcome) },
      closed: ({ reason }) => { closes.push(reason) },
      ...options.observer
    }
  })
  t.after(async () => { await stream.close() })
  return { stream, logs, records, outcomes, closes }
}

/** Log lines whose `pushStream.code` is `code`. */
export function linesWithCode (logs: CapturedLogs, code: string): Array<Record<string, unknown>> {
  return logs.lines().filter((line) => (line.pushStream as { code?: string } | undefined)?.code === code)
}

/** An async iterable over the given chunks (strings become UTF-8 bytes), as a fetch body would be. */
export async function * chunksOf (...chunks: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
}

/** A Redis stream dead-letter store on the shared Redis under a prefix of its own; its keys are deleted at the end. */
export async function redisStreamDeadLetters (t: TestContext, options: { max?: number, ttlMs?: number } = {}): Promise<{ store: StreamDeadLetterStore, redis: Redis, url: string, prefix: string }> {
  const url = redisUrl() ?? ''
  const prefix = uniquePrefix()
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  t.after(async () => {
    await deleteKeys(url, prefix)
    redis.disconnect()
  })
  return { store: createRedisStreamDeadLetters({ redis, prefix, ...options }), redis, url, prefix }
}

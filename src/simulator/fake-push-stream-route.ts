import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ApiCall } from './api-call-log.ts'
import { WeiboRefusal } from './fake-api-errors.ts'
import { readParams } from './fake-api-params.ts'
import type { PushStreamCloseReason, PushStreamHub, PushStreamSink } from './fake-push-stream.ts'

export const PUSH_STREAM_PATH = '/commercial/push'

/**
 * Weibo documents no Content-Type for the stream. The body is not one JSON document but JSON records separated by
 * CRLF, so `application/json` would invite a client (or the fake's own call log) to parse it whole; text/plain in
 * UTF-8 says what it is. A client should go by the status: 200 is a stream, anything else Weibo's error JSON.
 */
export const PUSH_STREAM_CONTENT_TYPE = 'text/plain; charset=utf-8'

/** The pause between the chunks of a fragmented record, so that they leave as separate TCP writes. */
export const FRAGMENT_GAP_MS = 2

/** What the call log shows for a stream: a 200 whose `response` is this summary, updated until the stream ends. */
export interface PushStreamCallSummary {
  contentType: string
  sinceId: string | undefined
  resumed: boolean
  replayed: number
  /** Bytes written so far. */
  bytes: number
  /** Why the stream ended; undefined while it is open. */
  closed: PushStreamCloseReason | undefined
}

/**
 * The cut points of a fragmented write: inside the first multi-byte UTF-8 character, in the middle, and between
 * the CR and the LF of the separator, so a client that decodes chunks one by one or splits on `\n` alone breaks.
 */
export function fragmentLine (bytes: Uint8Array): Uint8Array[] {
  const cuts = new Set<number>([Math.floor(bytes.length / 2)])
  const lead = bytes.findIndex((byte) => byte >= 0xc0)
  if (lead >= 0) cuts.add(lead + 1)
  if (bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d && bytes[bytes.length - 1] === 0x0a) cuts.add(bytes.length - 1)
  const points = [0, ...[...cuts].filter((cut) => cut > 0 && cut < bytes.length).sort((a, b) => a - b), bytes.length]
  return points.slice(1).map((end, index) => bytes.subarray(points[index], end))
}

/** One open response: a write queue (so fragment gaps keep the order), the idle and max-time timers, and its end. */
function createHttpSink (response: ServerResponse, timing: { idleCloseMs: number, maxConnectionMs: number }, onBytes: (count: number) => void): PushStreamSink {
  const queue: Array<{ bytes: Uint8Array, pauseMs: number }> = []
  let pause: NodeJS.Timeout | undefined
  let endReason: PushStreamCloseReason | undefined
  let hurry = false
  let dropped = false
  let settle: (reason: PushStreamCloseReason) => void = () => {}
  const closed = new Promise<PushStreamCloseReason>((resolve) => { settle = resolve })
  const writable = (): boolean => !response.destroyed && !response.writableEnded

  const pump = (): void => {
    while (pause === undefined && writable()) {
      const item = queue.shift()
      if (item === undefined) break
      response.write(item.bytes)
      onBytes(item.bytes.length)
      idle.refresh()
      if (item.pauseMs > 0 && !hurry) pause = setTimeout(() => { pause = undefined; pump() }, item.pauseMs)
    }
    if (pause === undefined && queue.length === 0 && endReason !== undefined && writable()) response.end()
  }
  const end = (reason: PushStreamCloseReason, now: boolean): void => {
    if (now && !hurry) {
      hurry = true
      if (pause !== undefined) { clearTimeout(pause); pause = undefined }
    }
    endReason ??= reason
    pump()
  }
  const idle = setTimeout(() => { end('idle', false) }, timing.idleCloseMs)
  const maxTime = setTimeout(() => { end('max-time', false) }, timing.maxConnectionMs)
  response.once('close', () => {
    clearTimeout(idle)
    clearTimeout(maxTime)
    if (pause !== undefined) clearTimeout(pause)
    queue.length = 0
    settle(dropped ? 'dropped' : response.writableFinished ? endReason ?? 'ended' : 'client')
  })

  return {
    write (bytes, fragment) {
      if (!writable() || endReason !== undefined) return
      const chunks = fragment ? fragmentLine(bytes) : [bytes]
      chunks.forEach((chunk, index) => queue.push({ bytes: chunk, pauseMs: index < chunks.length - 1 ? FRAGMENT_GAP_MS : 0 }))
      pump()
    },
    end,
    drop () {
      if (response.destroyed) return
      dropped = true
      // A reset, the rudest end: no final chunk, so the client sees the body fail, not end.
      const socket = response.socket
      if (socket === null) response.destroy()
      else socket.resetAndDestroy()
    },
    closed
  }
}

/**
 * `GET /commercial/push?subid=…[&since_id=…]`, the commercial subscription stream (protocol §8): no token (the
 * subscription's IP list guards it), records as JSON lines ending in CRLF, replay per `since_id`, then live records
 * until the connection has been idle for `idleCloseMs` or open for `maxConnectionMs`. The reply is hijacked, so
 * Fastify's onSend never sees it: the route fills in the call log entry itself (see `PushStreamCallSummary`).
 */
export function fakePushStreamRoute (app: FastifyInstance, options: { hub: PushStreamHub, callOf: (request: FastifyRequest) => ApiCall | undefined }): void {
  const { hub } = options
  // No automatic HEAD route: it would run this handler and open a stream with no body.
  app.get(PUSH_STREAM_PATH, { exposeHeadRoute: false }, async (request, reply) => {
    if (hub.ipLimited) throw new WeiboRefusal('IP_LIMITED')
    const params = readParams(request)
    const subid = params.subid
    if (subid === undefined || subid === '') throw new WeiboRefusal('PARAM_MISSING', 'subid')
    if (!/^\d{1,20}$/.test(subid)) throw new WeiboRefusal('PARAM_INVALID', 'subid must be a decimal subscription id')
    if (BigInt(subid) !== BigInt(hub.subid)) throw new WeiboRefusal('PARAM_INVALID', `subid ${subid} is not a subscription of this app`)
    // A since_id that is not a data id is "invalid", which Weibo treats as omitted, not as an error.
    const sinceId = params.since_id === '' ? undefined : params.since_id

    reply.hijack()
    const response = reply.raw
    // Chunked and keep-alive (Node's default), not Connection: close: with Connection: close, fetch (undici) takes a
    // connection that closes or resets mid-stream for the end of the body, and a client could not tell a drop from an end.
    response.writeHead(200, { 'content-type': PUSH_STREAM_CONTENT_TYPE, 'cache-control': 'no-cache' })
    response.flushHeaders()
    const summary: PushStreamCallSummary = {
      contentType: PUSH_STREAM_CONTENT_TYPE, sinceId, resumed: false, replayed: 0, bytes: 0, closed: undefined
    }
    const call = options.callOf(request)
    if (call !== undefined) {
      call.status = 200
      call.response = summary
    }
    const sink = createHttpSink(response, hub.settings, (count) => { summary.bytes += count })
    sink.closed.then((reason) => { summary.closed = reason }, () => {})
    const connection = hub.connect(sinceId, sink)
    summary.resumed = connection.resumed
    summary.replayed = connection.replayed
    return reply
  })
}

import { splitRecords, type SplitLine } from './record-splitter.ts'
import { readStreamError, type StreamErrorBody } from './stream-error.ts'

/** How one connection ended. `lines`: record lines it delivered (bad ones included). */
export type ConnectionEnd =
  /** Weibo closed the response cleanly (its 5-minute limit, or 5 s without data). */
  | { reason: 'end', lines: number }
  /** No byte for `idleTimeoutMs` while we waited for one: we aborted it. */
  | { reason: 'idle', lines: number }
  /** The client is closing. */
  | { reason: 'stopped', lines: number }
  /** No answer, or the answer was cut (connection refused, reset…). */
  | { reason: 'error', lines: number, error: unknown }
  /** An answer that is not a stream: an HTTP error, or Weibo's error JSON in place of the first record. */
  | { reason: 'rejected', lines: number, status: number, weiboError: StreamErrorBody | undefined }

export interface ConnectionOptions {
  /** The full request URL, query included. */
  url: string
  fetch: typeof fetch
  idleTimeoutMs: number
  maxLineBytes: number
  /** Aborted when the client closes. */
  stop: AbortSignal
  /** The answer is 2xx: records may follow. */
  onOpen: (status: number) => void
  /** One line of the stream (never Weibo's error JSON, which ends the connection as `rejected`). */
  onLine: (item: SplitLine) => void
  /** Awaited after each line: resolves when another may be read (backpressure) or when `signal` aborts. */
  waitForSlot: (signal: AbortSignal) => Promise<void>
}

/** An error answer is read this far at most: Weibo's error JSON is a few hundred bytes. */
const ERROR_BODY_LIMIT = 16 * 1024

async function readBounded (body: AsyncIterable<Uint8Array> | null): Promise<string> {
  if (body === null) return ''
  const parts: Uint8Array[] = []
  let length = 0
  for await (const chunk of body) {
    parts.push(chunk)
    length += chunk.length
    if (length >= ERROR_BODY_LIMIT) break
  }
  return Buffer.concat(parts, length).subarray(0, ERROR_BODY_LIMIT).toString('utf8')
}

/**
 * One GET of the stream, read until it ends: checks the answer is a stream, hands each line over, stops reading
 * while the consumer is at its limit, and aborts when no byte comes for `idleTimeoutMs` (Weibo closes after 5 s
 * without data itself; this catches a connection that died silently). Never throws: says how it ended.
 */
export async function runConnection (options: ConnectionOptions): Promise<ConnectionEnd> {
  const controller = new AbortController()
  let aborted: 'idle' | 'stopped' | undefined
  const abort = (reason: 'idle' | 'stopped'): void => {
    aborted ??= reason
    controller.abort()
  }
  const onStop = (): void => { abort('stopped') }
  if (options.stop.aborted) return { reason: 'stopped', lines: 0 }
  options.stop.addEventListener('abort', onStop, { once: true })

  // The idle timer runs only while we wait for bytes, not while backpressure keeps us from asking for them.
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => { abort('idle') }, options.idleTimeoutMs)
  }
  const disarm = (): void => { clearTimeout(timer) }

  async function * watched (body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
    const reader = body[Symbol.asyncIterator]()
    try {
      for (;;) {
        arm()
        const next = await reader.next()
        disarm()
        if (next.done === true) return
        yield next.value
      }
    } finally {
      disarm()
    }
  }

  let lines = 0
  try {
    arm()
    const response = await options.fetch(options.url, { headers: { accept: 'application/json' }, signal: controller.signal })
    disarm()
    if (!response.ok) {
      arm()
      const text = await readBounded(response.body).catch(() => '') // the status alone still says enough
      return { reason: 'rejected', lines, status: response.status, weiboError: readStreamError(text) }
    }
    options.onOpen(response.status)
    if (response.body === null) return { reason: 'end', lines }
    let first = true
    for await (const item of splitRecords(watched(response.body), { maxLineBytes: options.maxLineBytes })) {
      if (first && item.kind === 'line') {
        const weiboError = readStreamError(item.line)
        if (weiboError !== undefined) return { reason: 'rejected', lines, status: response.status, weiboError }
      }
      first = false
      lines++
      options.onLine(item)
      await options.waitForSlot(controller.signal)
      if (aborted !== undefined) break
    }
    return aborted === undefined ? { reason: 'end', lines } : { reason: aborted, lines }
  } catch (error) {
    return aborted === undefined ? { reason: 'error', lines, error } : { reason: aborted, lines }
  } finally {
    disarm()
    options.stop.removeEventListener('abort', onStop)
    controller.abort() // lets go of the socket whichever way we left
  }
}

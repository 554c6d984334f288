import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { WeiboHttp } from './http.ts'
import { WeiboApiError } from './api-error.ts'
import { invalidRequest } from './parse-response.ts'

export const MSGET_PATH = '/2/mss/msget'
export const DEFAULT_MEDIA_MAX_BYTES = 20 * 1024 * 1024

export interface DownloadedMedia {
  data: Buffer
  contentType: string
  filename?: string
}

export interface MediaApi {
  /** `GET {upload}/2/mss/msget?fid=…`: the file a fan sent, in memory (bounded by the size limit). */
  download: (tovfid: string) => Promise<DownloadedMedia>
  /** The same, streamed to `path` (removed again if the download fails); returns its type and size. */
  downloadTo: (tovfid: string, path: string) => Promise<{ contentType: string, filename?: string, bytes: number }>
}

function filenameOf (disposition: string | null): string | undefined {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? '')
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1])
}

function tooLarge (maxBytes: number): WeiboApiError {
  return new WeiboApiError('WEIBO_ERR_API_MEDIA_TOO_LARGE', { request: MSGET_PATH, weiboMessage: `over ${maxBytes} bytes`, retryable: false })
}

/** Counts bytes through the stream and fails it past `maxBytes`. */
function sizeGuard (maxBytes: number): Transform & { bytes: number } {
  const guard = new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      guard.bytes += chunk.length
      callback(guard.bytes > maxBytes ? tooLarge(maxBytes) : null, chunk)
    }
  }) as Transform & { bytes: number }
  guard.bytes = 0
  return guard
}

export function createMediaApi (options: { http: WeiboHttp, uploadBaseUrl: string | undefined, maxBytes?: number }): MediaApi {
  const maxBytes = options.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES
  async function open (tovfid: string): Promise<{ body: Readable, contentType: string, filename?: string }> {
    if (!/^\d{1,30}$/.test(tovfid)) throw invalidRequest(`tovfid must be decimal digits, got ${JSON.stringify(tovfid)}`)
    const response = await options.http.download({ method: 'GET', baseUrl: options.uploadBaseUrl, path: MSGET_PATH, query: { fid: tovfid } })
    const declared = Number(response.headers.get('content-length') ?? Number.NaN)
    if (declared > maxBytes || response.body === null) {
      await response.body?.cancel()
      if (response.body === null) throw new WeiboApiError('WEIBO_ERR_API_BAD_RESPONSE', { request: MSGET_PATH, status: response.status, retryable: false })
      throw tooLarge(maxBytes)
    }
    const filename = filenameOf(response.headers.get('content-disposition'))
    return {
      body: Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      ...(filename === undefined ? {} : { filename })
    }
  }
  return {
    async download (tovfid) {
      const { body, ...facts } = await open(tovfid)
      const chunks: Buffer[] = []
      const guard = sizeGuard(maxBytes)
      await pipeline(body, guard, async function * (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) chunks.push(chunk)
      })
      return { data: Buffer.concat(chunks), ...facts }
    },
    async downloadTo (tovfid, path) {
      const { body, ...facts } = await open(tovfid)
      const guard = sizeGuard(maxBytes)
      try {
        await pipeline(body, guard, createWriteStream(path))
      } catch (error) {
        await rm(path, { force: true })
        throw error
      }
      return { ...facts, bytes: guard.bytes }
    }
  }
}

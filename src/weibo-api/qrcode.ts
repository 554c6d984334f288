import { z } from 'zod'
import type { WeiboHttp } from './http.ts'
import { invalidRequest, parseResponse } from './parse-response.ts'

export const QRCODE_CREATE_PATH = '/2/eps/qrcode/create.json'
export const QR_MAX_EXPIRE_SECONDS = 1800
export const QR_MAX_PERMANENT_SCENE_ID = 100_000

export interface CreateQrcodeInput {
  /** `temporary` (QR_SCENE, at most 1800 s) or `permanent` (QR_LIMIT_SCENE, scene ids 1 to 100000). */
  kind: 'temporary' | 'permanent'
  sceneId: number
  /** Temporary codes only; defaults to (and is at most) 1800. */
  expireSeconds?: number
}

/** Weibo's answer is not captured in our protocol notes beyond a `ticket`; the rest is kept as sent. */
const QrcodeSchema = z.looseObject({ ticket: z.string().min(1), expire_seconds: z.number().optional(), url: z.string().optional() })
export type Qrcode = z.infer<typeof QrcodeSchema>

function bodyOf (input: CreateQrcodeInput): Record<string, unknown> {
  if (!Number.isSafeInteger(input.sceneId) || input.sceneId < 1) throw invalidRequest(`sceneId must be a positive integer, got ${input.sceneId}`)
  const scene = { scene: { scene_id: input.sceneId } }
  if (input.kind === 'permanent') {
    if (input.sceneId > QR_MAX_PERMANENT_SCENE_ID) throw invalidRequest(`a permanent QR code's sceneId must be 1 to ${QR_MAX_PERMANENT_SCENE_ID}, got ${input.sceneId}`)
    if (input.expireSeconds !== undefined) throw invalidRequest('a permanent QR code takes no expireSeconds')
    return { action_name: 'QR_LIMIT_SCENE', action_info: scene }
  }
  const expire = input.expireSeconds ?? QR_MAX_EXPIRE_SECONDS
  if (!Number.isSafeInteger(expire) || expire < 1 || expire > QR_MAX_EXPIRE_SECONDS) {
    throw invalidRequest(`a temporary QR code's expireSeconds must be 1 to ${QR_MAX_EXPIRE_SECONDS}, got ${expire}`)
  }
  return { expire_seconds: expire, action_name: 'QR_SCENE', action_info: scene }
}

export interface QrcodeApi {
  /** `POST {api.weibo.com}/2/eps/qrcode/create.json` with a JSON body. */
  create: (input: CreateQrcodeInput) => Promise<Qrcode>
}

export function createQrcodeApi (options: { http: WeiboHttp, openBaseUrl: string | undefined }): QrcodeApi {
  return {
    async create (input) {
      const body = await options.http.request({ method: 'POST', baseUrl: options.openBaseUrl, path: QRCODE_CREATE_PATH, json: bodyOf(input) })
      return parseResponse(QrcodeSchema, body, QRCODE_CREATE_PATH)
    }
  }
}

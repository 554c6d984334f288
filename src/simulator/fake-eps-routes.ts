import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { WeiboRefusal } from './fake-api-errors.ts'
import { jsonId, type FakeApiContext } from './fake-api-context.ts'
import { checkToken, DIGITS, parseParams, readParams } from './fake-api-params.ts'
import { fakeScreenName } from './fake-direct-message-route.ts'

export const USER_INFO_PATH = '/2/eps/user/info.json'
export const QRCODE_CREATE_PATH = '/2/eps/qrcode/create.json'

const UserInfoQuerySchema = z.object({ uid: z.string().regex(DIGITS, 'must be a decimal uid') })

const QrcodeBodySchema = z.union([
  z.object({ action_name: z.literal('QR_SCENE'), expire_seconds: z.number().int().min(1).max(1800).optional(), action_info: z.object({ scene: z.object({ scene_id: z.number().int().min(1) }) }) }),
  z.object({ action_name: z.literal('QR_LIMIT_SCENE'), action_info: z.object({ scene: z.object({ scene_id: z.number().int().min(1).max(100_000) }) }) })
])

/** A JSON request body (the fake reads every body as text); anything else is Weibo's 10008. */
export function jsonBody (body: unknown): unknown {
  if (typeof body !== 'string') throw new WeiboRefusal('DATA_INVALID', 'the body must be JSON')
  try {
    return JSON.parse(body)
  } catch {
    throw new WeiboRefusal('DATA_INVALID', 'the body is not JSON')
  }
}

/**
 * `eps/user/info` and `eps/qrcode/create` (protocol §9.2). The fake has no user directory: every uid exists (an
 * all-zero one does not, 20003), `follow` comes from the reply rules, the nickname is `fan_<uid>`.
 */
export function fakeEpsRoutes (app: FastifyInstance, context: FakeApiContext): void {
  let ticket = 0
  app.get(USER_INFO_PATH, async (request) => {
    const params = readParams(request)
    const account = checkToken(params, context.accounts)
    const { uid } = parseParams(UserInfoQuerySchema, params)
    if (/^0+$/.test(uid)) throw new WeiboRefusal('USER_NOT_FOUND', `uid ${uid}`)
    const follows = account.rules.isFollower(uid)
    return { follow: follows ? 1 : 0, subscribe: follows ? 1 : 0, id: jsonId(uid), nickname: fakeScreenName(uid), sex: 0, language: 'zh_CN', city: '', province: '', country: '', headimgurl: '', headimgurl_large: '', headimgurl_hd: '' }
  })
  app.post(QRCODE_CREATE_PATH, async (request) => {
    checkToken(readParams(request), context.accounts)
    const result = QrcodeBodySchema.safeParse(jsonBody(request.body))
    if (!result.success) throw new WeiboRefusal('PARAM_INVALID', result.error.issues[0]?.message ?? 'invalid QR code request')
    ticket += 1
    const expire = result.data.action_name === 'QR_SCENE' ? result.data.expire_seconds ?? 1800 : undefined
    return { ticket: `fake-ticket-${ticket}`, ...(expire === undefined ? {} : { expire_seconds: expire }), url: `https://weibo.cn/qr/fake-${ticket}` }
  })
}

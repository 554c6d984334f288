import { z } from 'zod'
import type { WeiboHttp } from './http.ts'
import { IdSchema, invalidRequest, parseResponse } from './parse-response.ts'

export const USER_INFO_PATH = '/2/eps/user/info.json'

/** A fan's profile as the fan service gives it (protocol §9.2); only `id` is relied on, the rest kept as sent. */
export const UserInfoSchema = z.looseObject({
  id: IdSchema,
  follow: z.union([z.number(), z.boolean()]).optional(),
  subscribe: z.union([z.number(), z.boolean()]).optional(),
  nickname: z.string().optional(),
  sex: z.union([z.number(), z.string()]).optional(),
  headimgurl: z.string().optional(),
  subscribe_time: z.union([z.number(), z.string()]).optional()
})
export type UserInfo = z.infer<typeof UserInfoSchema>

export interface UsersApi {
  /** `GET {api.weibo.com}/2/eps/user/info.json?uid=…`. */
  info: (uid: string) => Promise<UserInfo>
}

export function createUsersApi (options: { http: WeiboHttp, openBaseUrl: string | undefined }): UsersApi {
  return {
    async info (uid) {
      if (!/^\d{1,20}$/.test(uid)) throw invalidRequest(`uid must be decimal digits, got ${JSON.stringify(uid)}`)
      const body = await options.http.request({ method: 'GET', baseUrl: options.openBaseUrl, path: USER_INFO_PATH, query: { uid } })
      return parseResponse(UserInfoSchema, body, USER_INFO_PATH)
    }
  }
}

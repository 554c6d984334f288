import { z } from 'zod'
import { MAX_TEXT_LENGTH } from '../reply.ts'
import type { WeiboHttp } from './http.ts'
import { codePoints, IdSchema, invalidRequest, parseResponse } from './parse-response.ts'

export const DIRECT_MESSAGE_SEND_PATH = '/2/direct_messages/send.json'
/** The same limit as a text reply: Weibo's "< 300 Chinese characters", so 299 at most. */
export const DIRECT_MESSAGE_MAX_CHARS = MAX_TEXT_LENGTH

/** `uid` takes priority at Weibo; give exactly one. */
export type SendDirectMessageInput = { text: string } & ({ uid: string, screenName?: never } | { screenName: string, uid?: never })

/** The DM object of protocol §7 (fields we rely on; others kept). */
export const DirectMessageSchema = z.looseObject({
  id: IdSchema,
  idstr: z.string(),
  created_at: z.string(),
  text: z.string(),
  sender_id: IdSchema,
  recipient_id: IdSchema
})
export type DirectMessage = z.infer<typeof DirectMessageSchema>

export interface DirectMessagesApi {
  /** `POST {c.api}/2/direct_messages/send.json`: a DM to a follower; 1 to 299 characters (less than 300), checked before sending. */
  send: (input: SendDirectMessageInput) => Promise<DirectMessage>
}

export function createDirectMessagesApi (options: { http: WeiboHttp, commercialBaseUrl: string | undefined }): DirectMessagesApi {
  return {
    async send (input) {
      const length = codePoints(input.text)
      if (length < 1 || length > DIRECT_MESSAGE_MAX_CHARS) {
        throw invalidRequest(`direct message text must be 1 to ${DIRECT_MESSAGE_MAX_CHARS} characters, got ${length}`)
      }
      const receiver: Record<string, string> = {}
      if (typeof input.uid === 'string' && /^\d{1,20}$/.test(input.uid)) receiver.uid = input.uid
      else if (typeof input.screenName === 'string' && input.screenName !== '') receiver.screen_name = input.screenName
      else throw invalidRequest('a direct message needs a decimal uid or a non-empty screenName')
      const body = await options.http.request({
        method: 'POST',
        baseUrl: options.commercialBaseUrl,
        path: DIRECT_MESSAGE_SEND_PATH,
        form: { ...receiver, text: input.text },
        commercial: true
      })
      return parseResponse(DirectMessageSchema, body, DIRECT_MESSAGE_SEND_PATH)
    }
  }
}

import { z } from 'zod'
import { ArticleSchema, MAX_ARTICLES, MAX_TEXT_LENGTH, type Article } from '../reply.ts'
import type { WeiboHttp } from './http.ts'
import { codePoints, IdSchema, invalidRequest, parseResponse } from './parse-response.ts'
import { describeZodError } from '../describe-zod-error.ts'

export const SEND_ALL_PATH = '/2/messages/sendall.json'

export interface SendAllInput {
  /** A fan group (`filter.group_id`) or a list of fan uids (`touser`). */
  to: { groupId: string } | { uids: readonly string[] }
  message: { type: 'text', text: string } | { type: 'articles', articles: readonly Article[] }
}

/** Success only means the task was queued (protocol §9.2). Errors come as `errcode`/`errmsg`, mapped by the HTTP layer. */
const SendAllResultSchema = z.looseObject({ result: z.boolean(), msg_id: IdSchema.optional() })
export type SendAllResult = z.infer<typeof SendAllResultSchema>

function bodyOf (input: SendAllInput): Record<string, unknown> {
  const audience = 'groupId' in input.to
    ? { filter: { group_id: input.to.groupId } }
    : { touser: [...input.to.uids] }
  if ('uids' in input.to && (input.to.uids.length === 0 || !input.to.uids.every((uid) => /^\d{1,20}$/.test(uid)))) {
    throw invalidRequest('a group send needs at least one decimal uid')
  }
  if ('groupId' in input.to && input.to.groupId === '') throw invalidRequest('a group send needs a non-empty groupId')
  if (input.message.type === 'text') {
    const length = codePoints(input.message.text)
    if (length < 1 || length > MAX_TEXT_LENGTH) throw invalidRequest(`group send text must be 1 to ${MAX_TEXT_LENGTH} characters, got ${length}`)
    return { ...audience, text: { content: input.message.text }, msgtype: 'text' }
  }
  const articles = z.array(ArticleSchema).min(1).max(MAX_ARTICLES).safeParse(input.message.articles)
  if (!articles.success) throw invalidRequest(`group send articles must be 1 to ${MAX_ARTICLES} valid articles: ${describeZodError(articles.error)}`)
  return { ...audience, articles: articles.data, msgtype: 'articles' }
}

export interface SendAllApi {
  /** `POST /2/messages/sendall.json` with a JSON body: queues a group send. */
  sendAll: (input: SendAllInput) => Promise<SendAllResult>
}

export function createSendAllApi (options: { http: WeiboHttp }): SendAllApi {
  return {
    async sendAll (input) {
      const body = await options.http.request({ method: 'POST', path: SEND_ALL_PATH, json: bodyOf(input) })
      return parseResponse(SendAllResultSchema, body, SEND_ALL_PATH)
    }
  }
}

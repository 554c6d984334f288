import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { FakeApiContext } from './fake-api-context.ts'
import { checkToken, readParams } from './fake-api-params.ts'
import { jsonBody } from './fake-eps-routes.ts'
import { WEIBO_RULES } from './weibo-rules.ts'

export const SEND_ALL_PATH = '/2/messages/sendall.json'

const Audience = z.union([
  z.object({ filter: z.object({ group_id: z.string().min(1) }) }),
  z.object({ touser: z.array(z.string().regex(/^\d{1,20}$/)).min(1) })
])
const Content = z.union([
  z.object({ msgtype: z.literal('text'), text: z.object({ content: z.string().min(1).refine((content) => [...content].length <= WEIBO_RULES.maxTextChars) }) }),
  z.object({ msgtype: z.literal('articles'), articles: z.array(z.object({ display_name: z.string() }).loose()).min(1).max(8) })
])

/**
 * `messages/sendall` (protocol §9.2): a JSON body; success only queues the task. Its refusals use the group-send
 * envelope `{request, errcode, errmsg}` (not `error_code`), as Weibo documents for this API.
 */
export function fakeSendAllRoute (app: FastifyInstance, context: FakeApiContext): void {
  let nextId = 1000
  app.post(SEND_ALL_PATH, async (request, reply) => {
    checkToken(readParams(request), context.accounts)
    let body: unknown
    try {
      body = jsonBody(request.body)
    } catch {
      return await reply.code(400).send({ request: SEND_ALL_PATH, errcode: '100001', errmsg: 'the body is not JSON' })
    }
    if (!Audience.safeParse(body).success || !Content.safeParse(body).success) {
      return await reply.code(400).send({ request: SEND_ALL_PATH, errcode: '100002', errmsg: 'invalid group send: check filter/touser and the message' })
    }
    // The fake has no fan groups: every group exists except an all-zero id, which is how a test asks for "no such group".
    if (typeof body === 'object' && body !== null && 'filter' in body && /^0+$/.test(String((body as { filter: { group_id: string } }).filter.group_id))) {
      return await reply.code(400).send({ request: SEND_ALL_PATH, errcode: '100003', errmsg: 'group does not exist' })
    }
    nextId += 1
    return { result: true, msg_id: nextId }
  })
}

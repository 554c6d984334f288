import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { formatWeiboDate } from './push-factory.ts'
import { WeiboRefusal } from './fake-api-errors.ts'
import { jsonId, type FakeApiContext } from './fake-api-context.ts'
import { checkToken, DIGITS, parseParams, readParams, requireForm } from './fake-api-params.ts'
import { parseReplyData, REPLY_TYPES } from './reply-payload.ts'

export const REPLY_PATHS = ['/2/messages/reply.json', '/2/messages/reply/biz.json'] as const

const ReplyFormSchema = z.object({
  receiver_id: z.string().regex(DIGITS, 'must be the fan\'s decimal uid'),
  type: z.enum(REPLY_TYPES, { error: `must be one of ${REPLY_TYPES.join(', ')}` }),
  data: z.string(),
  save_sender_box: z.enum(['0', '1'], { error: 'must be 0 or 1' }).optional()
})

/** What the fake answers on success. Weibo's own success body is not documented: this is the DM-like object clients read. */
export interface ReplyResult {
  id: number
  idstr: string
  created_at: string
  sender_id: number | string
  recipient_id: number | string
  type: string
  data: Record<string, unknown>
}

/**
 * `POST /2/messages/reply.json` and its commercial twin `/2/messages/reply/biz.json` (protocol §4.1, §4.2): checks
 * the form, the token, the parameters and the payload, in that order, then the platform's reply rules. A refused
 * call changes nothing, so a bad request never uses up quota.
 */
export function fakeReplyRoute (app: FastifyInstance, context: FakeApiContext): void {
  for (const path of REPLY_PATHS) {
    app.post(path, async (request): Promise<ReplyResult> => {
      requireForm(request)
      const params = readParams(request)
      const account = checkToken(params, context.accounts)
      if (params.receiver_id === undefined && params.id !== undefined) {
        throw new WeiboRefusal('PARAM_MISSING', 'receiver_id (the id parameter belongs to the retired long-connection mode)')
      }
      const form = parseParams(ReplyFormSchema, params)
      const payload = parseReplyData(form.type, form.data)
      const decision = account.rules.takeReply(form.receiver_id)
      if (!decision.allowed) throw new WeiboRefusal(decision.error, decision.detail)

      const at = context.now()
      const id = context.nextMessageId()
      context.conversation.add({ from: 'bot', fanId: form.receiver_id, at, via: 'active', type: form.type, data: payload })
      return {
        id: Number(id),
        idstr: id,
        created_at: formatWeiboDate(new Date(at)),
        sender_id: jsonId(account.uid),
        recipient_id: jsonId(form.receiver_id),
        type: form.type,
        data: payload
      }
    })
  }
}

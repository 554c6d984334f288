import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { formatWeiboDate } from './push-factory.ts'
import { WeiboRefusal } from './fake-api-errors.ts'
import { jsonId, type FakeApiContext } from './fake-api-context.ts'
import { checkToken, DIGITS, parseParams, readParams, requireForm } from './fake-api-params.ts'
import { checkTextLength } from './reply-payload.ts'

export const DIRECT_MESSAGE_PATH = '/2/direct_messages/send.json'

/**
 * The fake has no user directory: every user's screen name is `fan_<uid>`, so a bot that sends by `screen_name`
 * can be tested. Any other screen name is an unknown user (20003).
 */
export function fakeScreenName (uid: string): string {
  return `fan_${uid}`
}

function uidOfScreenName (screenName: string): string | undefined {
  const match = /^fan_(\d{1,20})$/.exec(screenName)
  return match?.[1]
}

const DirectMessageFormSchema = z.object({
  text: z.string(),
  uid: z.string().regex(DIGITS, 'must be a decimal uid').optional(),
  screen_name: z.string().optional()
})

interface UserSummary {
  id: number | string
  idstr: string
  screen_name: string
}

/** The DM object of protocol §7, with `sender`/`recipient` cut down to what the fake knows about a user. */
export interface DirectMessageResult {
  id: number
  idstr: string
  created_at: string
  text: string
  sender_id: number | string
  recipient_id: number | string
  sender_screen_name: string
  recipient_screen_name: string
  mid: string
  geo: null
  sender: UserSummary
  recipient: UserSummary
}

function user (uid: string): UserSummary {
  return { id: jsonId(uid), idstr: uid, screen_name: fakeScreenName(uid) }
}

/**
 * `POST /2/direct_messages/send.json`, the commercial DM (protocol §7). Its only platform rule is that the receiver
 * follows the account (a fan who followed or wrote, and has not unfollowed since); it has no 48-hour window and does
 * not use the reply quota, which belongs to `messages/reply`.
 */
export function fakeDirectMessageRoute (app: FastifyInstance, context: FakeApiContext): void {
  app.post(DIRECT_MESSAGE_PATH, async (request): Promise<DirectMessageResult> => {
    requireForm(request)
    const params = readParams(request)
    const account = checkToken(params, context.accounts)
    const form = parseParams(DirectMessageFormSchema, params)
    checkTextLength(form.text)
    // `uid` takes priority over `screen_name`, as Weibo documents.
    let receiver = form.uid
    if (receiver === undefined) {
      if (form.screen_name === undefined) throw new WeiboRefusal('PARAM_MISSING', 'uid or screen_name')
      receiver = uidOfScreenName(form.screen_name)
      if (receiver === undefined) throw new WeiboRefusal('USER_NOT_FOUND', `no user has the screen name ${form.screen_name}; the fake's are fan_<uid>`)
    }
    if (!account.rules.isFollower(receiver)) {
      throw new WeiboRefusal('NOT_FOLLOWER', `fan ${receiver} does not follow the account (never followed or wrote, or unfollowed)`)
    }

    const at = context.now()
    const id = context.nextMessageId()
    context.conversation.add({ from: 'bot', fanId: receiver, at, via: 'direct-message', type: 'text', data: { text: form.text } })
    return {
      id: Number(id),
      idstr: id,
      created_at: formatWeiboDate(new Date(at)),
      text: form.text,
      sender_id: jsonId(account.uid),
      recipient_id: jsonId(receiver),
      sender_screen_name: fakeScreenName(account.uid),
      recipient_screen_name: fakeScreenName(receiver),
      mid: id,
      geo: null,
      sender: user(account.uid),
      recipient: user(receiver)
    }
  })
}

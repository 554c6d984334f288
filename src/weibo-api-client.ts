import { FanbotError } from './errors.ts'
import { validateReply, type Reply } from './reply.ts'
import { replyPayload } from './reply-encoding.ts'
import type { WeiboHttp } from './weibo-http.ts'

export interface SendReplyInput {
  /** The fan: the push's `sender_id`. */
  receiverId: string
  /** Checked before sending, like a handler's return value: an invalid reply throws WEIBO_ERR_REPLY_INVALID. */
  reply: Reply
  /** Keep a copy in the account's sent box; defaults to WEIBO_REPLY_SAVE_SENDER_BOX. */
  saveSenderBox?: boolean
}

export interface WeiboApiClient {
  readonly hasToken: boolean
  messages: {
    /** Active ("customer service") reply through `POST /2/messages/reply.json`. */
    reply: (input: SendReplyInput) => Promise<unknown>
  }
}

export interface WeiboApiClientOptions {
  http: WeiboHttp
  saveSenderBox: boolean
}

/** Typed Weibo API methods for handlers (`ctx.api`) and for the late-reply path. */
export function createWeiboApiClient (options: WeiboApiClientOptions): WeiboApiClient {
  const { http } = options
  return {
    get hasToken () { return http.hasToken },
    messages: {
      async reply (input) {
        const reply = validateReply(input.reply)
        if (reply === undefined) throw new FanbotError('WEIBO_ERR_REPLY_INVALID', { detail: 'no reply given' })
        return await http.postForm('/2/messages/reply.json', {
          receiver_id: input.receiverId,
          type: reply.type,
          // A form value is encoded by URLSearchParams: the JSON is encoded exactly once, as Weibo expects.
          data: JSON.stringify(replyPayload(reply)),
          save_sender_box: (input.saveSenderBox ?? options.saveSenderBox) ? '1' : '0'
        })
      }
    }
  }
}

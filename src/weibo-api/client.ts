import { FanbotError } from '../errors.ts'
import type { ImageMessage, VoiceMessage } from '../message-schema.ts'
import { replyParts, validateReply, type Reply, type ValidReply } from '../reply.ts'
import type { ReplyQuota } from '../reply-quota/reply-quota.ts'
import { WeiboApiError } from './api-error.ts'
import { replyPayload } from '../reply-encoding.ts'
import { createDirectMessagesApi, type DirectMessagesApi } from './direct-messages.ts'
import { createMediaApi, type DownloadedMedia, type MediaApi } from './media.ts'
import { createMenuApi, type MenuApi } from './menu.ts'
import { createQrcodeApi, type QrcodeApi } from './qrcode.ts'
import { createSendAllApi, type SendAllApi } from './send-all.ts'
import { createUsersApi, type UsersApi } from './users.ts'
import type { WeiboHttp } from './http.ts'

export interface SendReplyInput {
  /** The fan: the push's `sender_id`. */
  receiverId: string
  /** Checked before sending, like a handler's return value: an invalid reply throws WEIBO_ERR_REPLY_INVALID. */
  reply: Reply
  /** Keep a copy in the account's sent box; defaults to WEIBO_REPLY_SAVE_SENDER_BOX. */
  saveSenderBox?: boolean
  /** Per-part bookkeeping for a reply that may be sent more than once (the outbox's jobs): sent parts are skipped. */
  progress?: ReplyProgress
}

/**
 * Where a sender records each part of a reply (the outbox's delivery records), so that a reply sent again (a retry,
 * a job taken over from a dead worker) resumes after the last part that reached the fan instead of from part 1.
 */
export interface ReplyProgress {
  /** For each part: whether it already reached the fan. */
  sentParts: (count: number) => Promise<boolean[]>
  /** Before a part's call: true to send it, false when it was delivered meanwhile. Throws when another sender holds it. */
  begin: (part: number) => Promise<boolean>
  /** Weibo accepted the part. */
  sent: (part: number) => Promise<void>
  /** The part's call failed: it may be sent again. */
  failed: (part: number) => Promise<void>
}

export interface WeiboApiClient {
  readonly hasToken: boolean
  messages: {
    /**
     * Active ("customer service") reply through `messages/reply.json`, or `messages/reply/biz.json`
     * (WEIBO_REPLY_ENDPOINT=biz). A text with `split: true` goes out as several messages, in order, all counted
     * against the fan's quota at once (all or none). Resolves with Weibo's answer to the last message.
     */
    reply: (input: SendReplyInput) => Promise<unknown>
  } & SendAllApi
  directMessages: DirectMessagesApi
  media: MediaApi
  menu: MenuApi
  users: UsersApi
  qrcode: QrcodeApi
  /** The file of a voice or image push (its `data.tovfid`), in memory. */
  downloadMedia: (message: VoiceMessage | ImageMessage) => Promise<DownloadedMedia>
}

export interface WeiboApiClientOptions {
  http: WeiboHttp
  saveSenderBox: boolean
  /** `standard` (`m.api` `/2/messages/reply.json`, the default) or `biz` (`c.api` `/2/messages/reply/biz.json`). */
  replyEndpoint?: 'standard' | 'biz'
  /** The commercial host (`https://c.api.weibo.com`); defaults to the http layer's base URL. */
  commercialBaseUrl?: string
  /** The upload host for media (`https://upload.api.weibo.com`); defaults to the http layer's base URL. */
  uploadBaseUrl?: string
  /** The open API host for `eps/*` (`https://api.weibo.com`); defaults to the http layer's base URL. */
  openBaseUrl?: string
  /**
   * Weibo's reply windows and quotas, checked (and counted) before every `messages.reply`: a reply Weibo would
   * reject throws ReplyRefusedError instead of being sent. Omitted: every reply is left to Weibo to judge.
   */
  quota?: ReplyQuota | undefined
  /** Largest media file accepted; 20 MB by default. */
  mediaMaxBytes?: number
}

export const REPLY_PATH = '/2/messages/reply.json'
export const BIZ_REPLY_PATH = '/2/messages/reply/biz.json'

/** Direct messages to a fan known to have unfollowed are refused before the call (Weibo would answer 20301). */
function checkedDirectMessages (api: DirectMessagesApi, quota: ReplyQuota | undefined): DirectMessagesApi {
  if (quota === undefined) return api
  return {
    async send (input) {
      if (typeof input.uid === 'string') await quota.checkFollower(input.uid)
      return await api.send(input)
    }
  }
}

/** Typed Weibo API methods for handlers (`ctx.api`), the late-reply path and scripts. */
export function createWeiboApiClient (options: WeiboApiClientOptions): WeiboApiClient {
  const { http } = options
  const biz = options.replyEndpoint === 'biz'
  const { quota } = options

  async function sendOne (input: { receiverId: string, reply: ValidReply, saveSenderBox: boolean | undefined }): Promise<unknown> {
    const form = {
      receiver_id: input.receiverId,
      type: input.reply.type,
      // A form value is encoded by URLSearchParams: the JSON is encoded exactly once, as Weibo expects.
      data: JSON.stringify(replyPayload(input.reply)),
      save_sender_box: (input.saveSenderBox ?? options.saveSenderBox) ? '1' : '0'
    }
    if (!biz) return await http.postForm(REPLY_PATH, form)
    return await http.request({ method: 'POST', baseUrl: options.commercialBaseUrl, path: BIZ_REPLY_PATH, form, commercial: true })
  }

  const media = createMediaApi({ http, uploadBaseUrl: options.uploadBaseUrl, ...(options.mediaMaxBytes === undefined ? {} : { maxBytes: options.mediaMaxBytes }) })
  return {
    get hasToken () { return http.hasToken },
    messages: {
      async reply (input) {
        const reply = validateReply(input.reply)
        if (reply === undefined) throw new FanbotError('WEIBO_ERR_REPLY_INVALID', { detail: 'no reply given' })
        const parts = replyParts(reply)
        const { progress } = input
        const done = await progress?.sentParts(parts.length) ?? []
        const pending = parts.flatMap((part, index) => done[index] === true ? [] : [{ part, index }])
        if (pending.length === 0) return undefined
        const ticket = await quota?.take(input.receiverId, pending.length)
        let sent = 0
        try {
          let answer: unknown
          for (const { part, index } of pending) {
            if (progress !== undefined && !await progress.begin(index)) {
              sent++
              continue
            }
            try {
              answer = await sendOne({ receiverId: input.receiverId, reply: part, saveSenderBox: input.saveSenderBox })
            } catch (error) {
              await progress?.failed(index).catch(() => {})
              throw error
            }
            sent++
            await progress?.sent(index)
          }
          return answer
        } catch (error) {
          // A timed-out part may have reached the fan: only the parts surely not sent are given back.
          const mayHaveLanded = error instanceof WeiboApiError && error.code === 'WEIBO_ERR_API_TIMEOUT' ? 1 : 0
          if (ticket !== undefined) await quota?.refund(ticket, pending.length - sent - mayHaveLanded)
          throw error
        }
      },
      ...createSendAllApi({ http })
    },
    directMessages: checkedDirectMessages(createDirectMessagesApi({ http, commercialBaseUrl: options.commercialBaseUrl }), quota),
    media,
    menu: createMenuApi({ http }),
    users: createUsersApi({ http, openBaseUrl: options.openBaseUrl }),
    qrcode: createQrcodeApi({ http, openBaseUrl: options.openBaseUrl }),
    async downloadMedia (message) {
      return await media.download(String(message.data.tovfid))
    }
  }
}

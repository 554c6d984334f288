import { LosslessNumber, stringify } from 'lossless-json'
import { EVENT_SUBTYPES, MENTION_SUBTYPES, MESSAGE_TYPES, type EventSubtype, type MessageType } from '../message-schema.ts'

/** The simulated bot account and fan, unless a push names others. */
export const DEFAULT_ACCOUNT_ID = '1902538057'
export const DEFAULT_FAN_ID = '2489518277'

/** Weibo's default `text` for pushes that carry no words of the fan's. */
const DEFAULT_TEXT: Record<string, string> = {
  position: '发送了一个位置',
  voice: '发了一个语音消息',
  image: '发了一张图片',
  follow: '关注事件消息',
  unfollow: '取消关注事件消息',
  subscribe: '订阅事件消息',
  unsubscribe: '取消订阅事件消息',
  scan: '扫描二维码',
  scan_follow: '扫描二维码',
  click: '点击菜单',
  view: '自定义菜单跳转链接事件消息',
  mention: '@我们 你好'
}

export interface PushSpec {
  type: MessageType
  text?: string
  /** Event subtype (`follow`, `scan`…) or mention subtype (`status`, `comment`). */
  subtype?: string
  /** Menu key, QR scene key, `view` URL, or the status/comment id of a mention. */
  key?: string
  ticket?: string
  longitude?: string
  latitude?: string
  vfid?: string
  tovfid?: string
  senderId?: string
  receiverId?: string
  createdAt?: Date
}

const TIME_ZONE_OFFSET_MS = 8 * 3600_000
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Weibo's `created_at` format, in Beijing time: `Mon Jul 16 18:09:20 +0800 2012`. */
export function formatWeiboDate (date: Date): string {
  const local = new Date(date.getTime() + TIME_ZONE_OFFSET_MS)
  const pad = (value: number): string => String(value).padStart(2, '0')
  return `${DAYS[local.getUTCDay()] ?? ''} ${MONTHS[local.getUTCMonth()] ?? ''} ${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} +0800 ${local.getUTCFullYear()}`
}

/** Parses Weibo's `created_at` back to a Date (undefined when it is not in that format). */
export function parseWeiboDate (value: string): Date | undefined {
  const match = /^\w{3} (\w{3}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$/.exec(value)
  if (match === null) return undefined
  const [, month, day, hours, minutes, seconds, sign, offsetHours, offsetMinutes, year] = match
  const monthIndex = MONTHS.indexOf(month ?? '')
  if (monthIndex < 0) return undefined
  const offset = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 3600_000 + Number(offsetMinutes) * 60_000)
  return new Date(Date.UTC(Number(year), monthIndex, Number(day), Number(hours), Number(minutes), Number(seconds)) - offset)
}

function requireSubtype (spec: PushSpec): string {
  if (spec.type === 'event') {
    const subtype = spec.subtype ?? 'follow'
    if (!(EVENT_SUBTYPES as readonly string[]).includes(subtype)) throw new Error(`unknown event subtype "${subtype}"; use one of ${EVENT_SUBTYPES.join(', ')}`)
    return subtype
  }
  const subtype = spec.subtype ?? 'status'
  if (!(MENTION_SUBTYPES as readonly string[]).includes(subtype)) throw new Error(`unknown mention subtype "${subtype}"; use one of ${MENTION_SUBTYPES.join(', ')}`)
  return subtype
}

function eventData (subtype: EventSubtype, spec: PushSpec): Record<string, unknown> {
  switch (subtype) {
    case 'scan':
    case 'scan_follow':
      return { subtype, key: spec.key ?? 'QR_SCENE_1', ticket: spec.ticket ?? 'SIMULATED_TICKET' }
    case 'click':
      return { subtype, key: spec.key ?? 'menu_key' }
    case 'view':
      return { subtype, key: spec.key ?? 'https://example.com/' }
    default:
      return { subtype }
  }
}

/**
 * Builds a push exactly as Weibo sends it: its field names, `created_at` format and default texts. Ids stay
 * digit strings here; `pushToJson` writes them as JSON numbers, as Weibo does.
 */
export function makePush (spec: PushSpec): Record<string, unknown> {
  if (!(MESSAGE_TYPES as readonly string[]).includes(spec.type)) {
    throw new Error(`unknown push type "${String(spec.type)}"; use one of ${MESSAGE_TYPES.join(', ')}`)
  }
  const envelope = {
    type: spec.type,
    receiver_id: spec.receiverId ?? DEFAULT_ACCOUNT_ID,
    sender_id: spec.senderId ?? DEFAULT_FAN_ID,
    created_at: formatWeiboDate(spec.createdAt ?? new Date())
  }
  switch (spec.type) {
    case 'text':
      return { ...envelope, text: spec.text ?? '你好', data: {} }
    case 'position':
      return {
        ...envelope,
        text: spec.text ?? DEFAULT_TEXT.position,
        data: { longitude: spec.longitude ?? '116.308586', latitude: spec.latitude ?? '39.982525' }
      }
    case 'voice':
      return { ...envelope, text: spec.text ?? DEFAULT_TEXT.voice, data: { vfid: spec.vfid ?? '821804459', tovfid: spec.tovfid ?? '821804469' } }
    case 'image':
      // An even fid: the fake's msget serves an image for it (a PNG), an odd one a voice recording.
      return { ...envelope, text: spec.text ?? DEFAULT_TEXT.image, data: { vfid: spec.vfid ?? '821804458', tovfid: spec.tovfid ?? '821804468' } }
    case 'event': {
      const subtype = requireSubtype(spec) as EventSubtype
      return { ...envelope, text: spec.text ?? DEFAULT_TEXT[subtype], data: eventData(subtype, spec) }
    }
    case 'mention':
      return { ...envelope, text: spec.text ?? DEFAULT_TEXT.mention, data: { subtype: requireSubtype(spec), key: spec.key ?? '3700057402482222' } }
  }
}

const NUMERIC_FIELDS = new Set(['receiver_id', 'sender_id', 'id', 'vfid', 'tovfid'])

/** Serialises a push as Weibo does: 64-bit ids as bare JSON numbers, digit for digit. */
export function pushToJson (push: Record<string, unknown>): string {
  const json = stringify(push, (key, value) =>
    NUMERIC_FIELDS.has(key) && typeof value === 'string' && /^\d+$/.test(value) ? new LosslessNumber(value) : value)
  return json ?? '{}'
}

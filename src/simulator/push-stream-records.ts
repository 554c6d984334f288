import { LosslessNumber, stringify } from 'lossless-json'
import { createMessageIds } from './fake-api-context.ts'
import { fakeScreenName } from './fake-direct-message-route.ts'
import { DEFAULT_FAN_ID, formatWeiboDate } from './push-factory.ts'

/** A user as a record carries it: ids are digit strings here, bare JSON numbers on the wire. */
export interface PushStreamUser { id: string, screen_name: string }
export interface PushStreamStatus { created_at: string, id: string, mid: string, text: string, user: PushStreamUser, mentions?: string[] }
/** A comment, with the weibo it comments on (kept minimal: id, mid, text, user). */
export interface PushStreamComment extends Omit<PushStreamStatus, 'mentions'> {
  status: { id: string, mid: string, text: string, user: PushStreamUser }
}

/** One record of protocol §8, as `publish` returns it (frozen). `id` is the data id clients pass back as `since_id`. */
export interface PushStreamRecord {
  id: string
  text: { type: 'status', event: string, status: PushStreamStatus } | { type: 'comment', event: string, comment: PushStreamComment }
  match_info: { keyword: string, uid: string }
}

export interface PushRecordSpec {
  /** The subscription's data type; default 'status'. */
  type?: 'status' | 'comment'
  text: string
  /** The author's uid; default the push factory's fan. */
  uid?: string
  /** Default `fakeScreenName(uid)`, the name the fake's DM route knows the author by. */
  screenName?: string
  /** `match_info.keyword`; default '' (a match by uid). */
  keyword?: string
  /** `match_info.uid`; default '0' (a match by keyword), as in Weibo's sample. */
  matchUid?: string
  /** `text.event`; default 'add', the only documented value. */
  event?: string
  /** The data id; default the next generated one. May exceed 2^53: it is written digit for digit. */
  id?: string
  /** The weibo (or comment) id, used for `id` and `mid`; default the next generated one. */
  weiboId?: string
  /** uids @-ed in a status; omitted unless given, as Weibo may omit them. */
  mentions?: string[]
  /** For a comment: the weibo it is on. Defaults: a generated id, a fixed text, the fake's account as author. */
  status?: { id?: string, text?: string, uid?: string, screenName?: string }
}

const DIGITS = /^\d{1,20}$/

export function checkId (name: string, value: string): string {
  if (!DIGITS.test(value)) throw new TypeError(`${name} must be a decimal id of 1 to 20 digits, got "${value}"`)
  return value
}

const COMMENTED_STATUS_TEXT = '今天上新，欢迎评论'

const NUMERIC_KEYS = new Set(['id', 'uid'])

/** One record as a line: ids as bare JSON numbers digit for digit (`mid` stays a string, as Weibo writes it), then CRLF. */
export function recordLine (record: PushStreamRecord): Buffer {
  const json = stringify(record, (key, value) => {
    if (NUMERIC_KEYS.has(key) && typeof value === 'string' && DIGITS.test(value)) return new LosslessNumber(value)
    if (key === 'mentions' && Array.isArray(value)) return value.map((uid: unknown) => typeof uid === 'string' ? new LosslessNumber(uid) : uid)
    return value
  })
  return Buffer.from(`${json ?? '{}'}\r\n`, 'utf8')
}

export interface RecordFactory {
  /** A record from a spec: generated ids where none is given; a data id already in use is refused. */
  build: (spec: PushRecordSpec) => PushStreamRecord
  /** The record left the store: its ids may be given again. */
  release: (record: PushStreamRecord) => void
}

/**
 * Builds the records of protocol §8 for the fake stream. Data ids and weibo ids are 16 digits below 2^53, counting
 * up; the ids of records still stored are remembered, so a caller-given id is never generated again meanwhile.
 */
export function createRecordFactory (options: { now: () => number, accountId: string }): RecordFactory {
  const { now } = options
  const nextDataId = createMessageIds(1_400_000_000_000_001)
  const nextWeiboId = createMessageIds(3_700_000_000_000_001)
  const dataIds = new Set<string>()
  const weiboIds = new Set<string>()
  const weiboIdsOf = (record: PushStreamRecord): string[] =>
    record.text.type === 'status' ? [record.text.status.id] : [record.text.comment.id, record.text.comment.status.id]
  const fresh = (next: () => string, taken: Set<string>): string => {
    let id = next()
    while (taken.has(id)) id = next()
    return id
  }

  function build (spec: PushRecordSpec): PushStreamRecord {
    if (typeof spec.text !== 'string') throw new TypeError('a push-stream record needs a text')
    const id = spec.id === undefined ? fresh(nextDataId, dataIds) : checkId('id', spec.id)
    if (dataIds.has(id)) throw new Error(`a stored record already has the data id ${id}`)
    const uid = checkId('uid', spec.uid ?? DEFAULT_FAN_ID)
    const weiboId = spec.weiboId === undefined ? fresh(nextWeiboId, weiboIds) : checkId('weiboId', spec.weiboId)
    const head = {
      created_at: formatWeiboDate(new Date(now())),
      id: weiboId,
      mid: weiboId,
      text: spec.text,
      user: { id: uid, screen_name: spec.screenName ?? fakeScreenName(uid) }
    }
    const event = spec.event ?? 'add'
    const matchInfo = { keyword: spec.keyword ?? '', uid: checkId('matchUid', spec.matchUid ?? '0') }
    if ((spec.type ?? 'status') === 'status') {
      const mentions = spec.mentions?.map((mention) => checkId('mentions', mention))
      return { id, text: { type: 'status', event, status: { ...head, ...(mentions === undefined ? {} : { mentions }) } }, match_info: matchInfo }
    }
    if (spec.type !== 'comment') throw new TypeError(`a push-stream record is a status or a comment, got "${String(spec.type)}"`)
    const statusId = spec.status?.id === undefined ? fresh(nextWeiboId, weiboIds) : checkId('status.id', spec.status.id)
    const statusUid = checkId('status.uid', spec.status?.uid ?? options.accountId)
    const status = {
      id: statusId,
      mid: statusId,
      text: spec.status?.text ?? COMMENTED_STATUS_TEXT,
      user: { id: statusUid, screen_name: spec.status?.screenName ?? fakeScreenName(statusUid) }
    }
    return { id, text: { type: 'comment', event, comment: { ...head, status } }, match_info: matchInfo }
  }

  return {
    build (spec) {
      const record = build(spec)
      dataIds.add(record.id)
      for (const id of weiboIdsOf(record)) weiboIds.add(id)
      return record
    },
    release (record) {
      dataIds.delete(record.id)
      for (const id of weiboIdsOf(record)) weiboIds.delete(id)
    }
  }
}

import {
  DECIMAL_PATTERN, LATITUDE_LIMIT, LONGITUDE_LIMIT, PUSH_ID_PATTERN, withinMaxId,
  type ImageMessage, type PositionMessage, type TextMessage, type VoiceMessage
} from './message-schema.ts'

/**
 * The common pushes (text, position, voice, image: nearly all of Weibo's traffic), read without zod when they are
 * plainly well-formed. The zod schemas in message-schema.ts stay the definition of a push: this reader returns
 * exactly what `MessageSchema.parse` returns for what it accepts (the same fields, values and key order; tested
 * against it over generated bodies in test/common-push.test.ts), and returns `undefined` for everything else,
 * which then goes to zod for the rule's wording or the tolerant cases (numbers as coordinates, events, mentions,
 * text pushes with data fields).
 *
 * Why not zod alone: in the server under load, zod's parse of a push (a discriminated union whose ids are each a
 * union with a refinement and a transform) cost ~10 µs of the ~90 µs a push took, the largest single item of
 * fanbot's own CPU, and ~3 KB of garbage per push (bench/README.md, tenth session). Zod's generic code sees every
 * schema kind, so its property loads are megamorphic in a busy server; this is a few monomorphic checks.
 */
export type CommonMessage = TextMessage | PositionMessage | VoiceMessage | ImageMessage

type Fields = Record<string, unknown>

const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value)

/** PushIdSchema's rule and output (a digit string), or undefined when zod should judge it. */
function pushId (value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 1 ? String(value) : undefined
  return typeof value === 'string' && PUSH_ID_PATTERN.test(value) && withinMaxId(value) ? value : undefined
}

/** A coordinate written as a decimal string within ±limit (numbers are left to zod: they are rare and rewritten). */
function coordinate (value: unknown, limit: number): string | undefined {
  return typeof value === 'string' && DECIMAL_PATTERN.test(value) && Math.abs(Number(value)) <= limit ? value : undefined
}

function hasOwnKeys (object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true
  return false
}

/** The message's data, or undefined when zod should judge the push. */
function readData (type: CommonMessage['type'], data: unknown): CommonMessage['data'] | undefined {
  switch (type) {
    case 'text':
      // Text pushes carry an empty object (or none). Fields in it go to zod, whose record copy has edge cases of
      // its own (`__proto__`).
      if (data === undefined) return {}
      return isRecord(data) && !hasOwnKeys(data) ? {} : undefined
    case 'position': {
      if (!isRecord(data)) return undefined
      const longitude = coordinate(data.longitude, LONGITUDE_LIMIT)
      const latitude = coordinate(data.latitude, LATITUDE_LIMIT)
      return longitude === undefined || latitude === undefined ? undefined : { longitude, latitude }
    }
    case 'voice':
    case 'image': {
      if (!isRecord(data)) return undefined
      const vfid = pushId(data.vfid)
      const tovfid = pushId(data.tovfid)
      return vfid === undefined || tovfid === undefined ? undefined : { vfid, tovfid }
    }
  }
}

const COMMON_TYPES: ReadonlySet<string> = new Set(['text', 'position', 'voice', 'image'])

/** The message, built as MessageSchema would build it, or undefined: then `MessageSchema` decides. */
export function readCommonPush (body: unknown): CommonMessage | undefined {
  if (!isRecord(body)) return undefined
  const type = body.type
  if (typeof type !== 'string' || !COMMON_TYPES.has(type)) return undefined
  const senderId = pushId(body.sender_id)
  const receiverId = pushId(body.receiver_id)
  const createdAt = body.created_at
  const text = body.text === undefined ? '' : body.text
  if (senderId === undefined || receiverId === undefined || typeof createdAt !== 'string' || createdAt === '' || typeof text !== 'string') {
    return undefined
  }
  const data = readData(type as CommonMessage['type'], body.data)
  if (data === undefined) return undefined
  // Key order as zod's output: the schema's own order, `id` only when the push has one.
  if (body.id === undefined) {
    return { sender_id: senderId, receiver_id: receiverId, created_at: createdAt, text, type, data } as CommonMessage
  }
  const id = pushId(body.id)
  if (id === undefined) return undefined
  return { sender_id: senderId, receiver_id: receiverId, created_at: createdAt, text, id, type, data } as CommonMessage
}

import { z } from 'zod'
import { decimalString } from './decimal-string.ts'

/** A 64-bit Weibo id, as a digit string whatever JSON type it arrived in (the push stream's records use it). */
export const WeiboIdSchema = z.union([
  z.string().regex(/^\d{1,20}$/, 'must be a decimal id'),
  // Larger numbers were kept as digit strings by the body parser; a number here is exact.
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
]).transform((id) => String(id))

/** The largest unsigned 64-bit integer: no Weibo id is larger. */
const MAX_ID = '18446744073709551615'

// The rules below are shared with the push reader's shortcut (common-push.ts), so both judge an id or a coordinate
// by the same pattern and bound.
/** A push id written as text: a positive integer, no sign, fraction, exponent or leading zero. */
export const PUSH_ID_PATTERN = /^[1-9]\d{0,19}$/
/** For a text matching PUSH_ID_PATTERN: at most 2^64-1 (equal lengths compare as numbers do). */
export const withinMaxId = (id: string): boolean => id.length < MAX_ID.length || id <= MAX_ID
/** A coordinate written as text. */
export const DECIMAL_PATTERN = /^-?\d+(\.\d+)?$/
export const LONGITUDE_LIMIT = 180
export const LATITUDE_LIMIT = 90

/**
 * An id in a push: a positive integer written as digits (no sign, fraction, exponent or leading zero), at most
 * 2^64-1, as a digit string. The push parser keeps numbers at id keys as their text when they could not survive as
 * a double, so `1e3` or `0.0` arrive here as strings and fail the pattern.
 */
export const PushIdSchema = z.union([
  z.string().regex(PUSH_ID_PATTERN, 'must be a positive decimal id').refine(withinMaxId, 'must be at most 2^64-1'),
  z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)
]).transform((id) => String(id))

/** Coordinates come as strings ("116.308586"); a number is tolerated and kept as its decimal string form. */
const coordinate = (limit: number) => z.union([z.string().regex(DECIMAL_PATTERN, 'must be a decimal number'), z.number()])
  .refine((value) => Math.abs(Number(value)) <= limit, `must be from -${limit} to ${limit}`)
  .transform(decimalString)

/** Fields every push carries; a push without them is rejected before its type is looked at. */
export const EnvelopeSchema = z.object({
  type: z.string().min(1),
  sender_id: PushIdSchema,
  receiver_id: PushIdSchema,
  created_at: z.string().min(1)
})

const common = {
  sender_id: PushIdSchema,
  receiver_id: PushIdSchema,
  created_at: z.string().min(1),
  text: z.string().default(''),
  // Not in the callback docs, but present in some of Weibo's examples: kept when it comes.
  id: PushIdSchema.optional()
}

export const EVENT_SUBTYPES = ['follow', 'unfollow', 'subscribe', 'unsubscribe', 'scan', 'scan_follow', 'click', 'view'] as const
export const MENTION_SUBTYPES = ['status', 'comment'] as const
export type EventSubtype = typeof EVENT_SUBTYPES[number]
export type MentionSubtype = typeof MENTION_SUBTYPES[number]

export const TextMessageSchema = z.object({
  ...common,
  type: z.literal('text'),
  data: z.record(z.string(), z.unknown()).default({})
})

export const PositionMessageSchema = z.object({
  ...common,
  type: z.literal('position'),
  data: z.object({ longitude: coordinate(LONGITUDE_LIMIT), latitude: coordinate(LATITUDE_LIMIT) })
})

const MediaDataSchema = z.object({ vfid: PushIdSchema, tovfid: PushIdSchema })

export const VoiceMessageSchema = z.object({ ...common, type: z.literal('voice'), data: MediaDataSchema })
export const ImageMessageSchema = z.object({ ...common, type: z.literal('image'), data: MediaDataSchema })

export const EventMessageSchema = z.object({
  ...common,
  type: z.literal('event'),
  data: z.object({
    subtype: z.enum(EVENT_SUBTYPES),
    // Menu button key, QR scene key (`QR_SCENE_123`) or, for `view`, the target URL.
    key: z.union([z.string(), z.number()]).transform((key) => String(key)).optional(),
    ticket: z.string().optional()
  })
})

export const MentionMessageSchema = z.object({
  ...common,
  type: z.literal('mention'),
  // `key` is the id of the status or comment the fan mentioned us in.
  data: z.object({ subtype: z.enum(MENTION_SUBTYPES), key: PushIdSchema })
})

/**
 * Every push Weibo sends. The push reader takes the plainly well-formed text, position, voice and image pushes through
 * a shortcut that must build exactly what this schema builds (common-push.ts): a rule changed here is changed there,
 * and test/common-push.test.ts compares the two.
 */
export const MessageSchema = z.discriminatedUnion('type', [
  TextMessageSchema,
  PositionMessageSchema,
  VoiceMessageSchema,
  ImageMessageSchema,
  EventMessageSchema,
  MentionMessageSchema
])

export type TextMessage = z.output<typeof TextMessageSchema>
export type PositionMessage = z.output<typeof PositionMessageSchema>
export type VoiceMessage = z.output<typeof VoiceMessageSchema>
export type ImageMessage = z.output<typeof ImageMessageSchema>
export type EventMessage<S extends EventSubtype = EventSubtype> =
  Omit<z.output<typeof EventMessageSchema>, 'data'> & { data: z.output<typeof EventMessageSchema>['data'] & { subtype: S } }
export type MentionMessage<S extends MentionSubtype = MentionSubtype> =
  Omit<z.output<typeof MentionMessageSchema>, 'data'> & { data: z.output<typeof MentionMessageSchema>['data'] & { subtype: S } }
export type Message = z.output<typeof MessageSchema>
export type MessageType = Message['type']

export const MESSAGE_TYPES: readonly MessageType[] = ['text', 'position', 'voice', 'image', 'event', 'mention']

import { z } from 'zod'
import { FanbotError } from './errors.ts'
import {
  EVENT_SUBTYPES, EnvelopeSchema, MENTION_SUBTYPES, MESSAGE_TYPES, MessageSchema,
  type Message
} from './message-schema.ts'
import { parsePushBody } from './push-body.ts'
import { readCommonPush } from './common-push.ts'
import { describeZodError } from './describe-zod-error.ts'

export type PushReading =
  | { kind: 'message', message: Message }
  /** Well-formed, but of a type or subtype we do not know: Weibo asks us to ignore those. */
  | { kind: 'unsupported', type: string, subtype: string | undefined }

const SUBTYPES: Partial<Record<string, readonly string[]>> = { event: EVENT_SUBTYPES, mention: MENTION_SUBTYPES }

function invalid (error: z.ZodError): FanbotError {
  // No cause: a ZodError's message is the same problems again as raw JSON, and the log would print both.
  return new FanbotError('WEIBO_ERR_PUSH_INVALID', { detail: describeZodError(error) })
}

/** Turns a push body into a validated message; throws a 400-class `FanbotError` for anything malformed. */
export function readPush (raw: string): PushReading {
  const body = parsePushBody(raw)
  // Nearly every push is a plainly well-formed text, position, voice or image push: read without zod (common-push.ts).
  const common = readCommonPush(body)
  if (common !== undefined) return { kind: 'message', message: common }
  // One parse for the usual push: a body the message schema accepts has a known type and subtype, so the checks
  // below would return the same message. Only a body it refuses goes the long way, to tell an unknown type (to
  // ignore) from a malformed push (to refuse) and to word the error. Saves the envelope parse: ~1 µs per push.
  const direct = MessageSchema.safeParse(body)
  if (direct.success) return { kind: 'message', message: direct.data }

  const envelope = EnvelopeSchema.safeParse(body)
  if (!envelope.success) throw invalid(envelope.error)

  const type = envelope.data.type
  const data: unknown = (body as { data?: unknown }).data
  const subtype = typeof data === 'object' && data !== null ? (data as { subtype?: unknown }).subtype : undefined
  const subtypeText = typeof subtype === 'string' ? subtype : undefined
  if (!(MESSAGE_TYPES as readonly string[]).includes(type)) return { kind: 'unsupported', type, subtype: subtypeText }
  const knownSubtypes = SUBTYPES[type]
  if (knownSubtypes !== undefined && typeof subtype === 'string' && !knownSubtypes.includes(subtype)) {
    return { kind: 'unsupported', type, subtype: subtypeText }
  }

  const message = MessageSchema.safeParse(body)
  if (!message.success) throw invalid(message.error)
  return { kind: 'message', message: message.data }
}

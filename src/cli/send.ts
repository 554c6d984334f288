import type { Environment } from '../config.ts'
import { EVENT_SUBTYPES, MENTION_SUBTYPES, MESSAGE_TYPES, type MessageType } from '../message-schema.ts'
import { deliverPush } from '../simulator/callback-client.ts'
import { makePush, pushToJson, type PushSpec } from '../simulator/push-factory.ts'
import { decimalOption, HELP_OPTION, idOption, noMorePositionals, parseCommandArgs, requireOneOf, TARGET_OPTIONS } from './args.ts'
import { usageError } from './cli-error.ts'
import { reportDelivery } from './delivery-report.ts'
import { printHelp } from './help.ts'
import { lazyConfig, resolveTarget } from './target.ts'

const OPTIONS = {
  ...TARGET_OPTIONS,
  ...HELP_OPTION,
  subtype: { type: 'string' },
  key: { type: 'string' },
  ticket: { type: 'string' },
  lat: { type: 'string' },
  lon: { type: 'string' },
  sender: { type: 'string' },
  receiver: { type: 'string' },
  json: { type: 'boolean' }
} as const

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values']

const KEYED_EVENTS: readonly string[] = ['scan', 'scan_follow', 'click', 'view']
const TICKETED_EVENTS: readonly string[] = ['scan', 'scan_follow']

/** An option the push type does not carry is refused rather than dropped: the user expected it to matter. */
function refuseUnless (applies: boolean, option: string, value: string | undefined, where: string): void {
  if (value !== undefined && !applies) throw usageError(`--${option} applies to ${where} only`)
}

function subtypeOf (type: MessageType, value: string | undefined): string | undefined {
  refuseUnless(type === 'event' || type === 'mention', 'subtype', value, 'event and mention pushes')
  if (type === 'event') return requireOneOf('event subtype', value ?? 'follow', EVENT_SUBTYPES)
  if (type === 'mention') return requireOneOf('mention subtype', value ?? 'status', MENTION_SUBTYPES)
  return undefined
}

/** The push spec from the command line, every value checked before anything is sent. */
export function specFromArgs (positionals: readonly string[], values: Values): PushSpec {
  const [typeArg, text] = positionals
  if (typeArg === undefined) throw usageError(`missing the push type (one of ${MESSAGE_TYPES.join(', ')})`)
  noMorePositionals(positionals, 2, 'quote a text with spaces: send text "hello there"')
  const type = requireOneOf('push type', typeArg, MESSAGE_TYPES)
  const subtype = subtypeOf(type, values.subtype)
  refuseUnless(type === 'mention' || KEYED_EVENTS.includes(subtype ?? ''), 'key', values.key, 'scan, scan_follow, click and view events, and mentions')
  refuseUnless(TICKETED_EVENTS.includes(subtype ?? ''), 'ticket', values.ticket, 'scan and scan_follow events')
  refuseUnless(type === 'position', 'lat', values.lat, 'position pushes')
  refuseUnless(type === 'position', 'lon', values.lon, 'position pushes')
  const spec: PushSpec = { type }
  if (text !== undefined) spec.text = text
  if (subtype !== undefined) spec.subtype = subtype
  // A mention's key is the status or comment id, which the server checks as a Weibo id.
  if (values.key !== undefined) spec.key = type === 'mention' ? idOption('key', values.key) : values.key
  if (values.ticket !== undefined) spec.ticket = values.ticket
  if (values.lat !== undefined) spec.latitude = decimalOption('lat', values.lat, 90)
  if (values.lon !== undefined) spec.longitude = decimalOption('lon', values.lon, 180)
  if (values.sender !== undefined) spec.senderId = idOption('sender', values.sender)
  if (values.receiver !== undefined) spec.receiverId = idOption('receiver', values.receiver)
  return spec
}

/** `weibo-fanbot send <type> [text] …`: one signed push, as Weibo sends it (5-second wait, up to 3 tries). */
export async function send (args: readonly string[], env: Environment): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS)
  if (values.help === true) return printHelp('send')
  const spec = specFromArgs(positionals, values)
  const target = resolveTarget(values, lazyConfig(env))
  const push = makePush(spec)
  const result = await deliverPush({ url: target.url, secret: target.secret, body: pushToJson(push) })
  reportDelivery({ push, url: target.url, signed: target.secret !== undefined, result, json: values.json === true })
}

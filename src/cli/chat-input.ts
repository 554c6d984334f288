import type { PushSpec } from '../simulator/push-factory.ts'

/** A weibo or a comment by the fan, published on the simulator's push stream (not a push to the account). */
export interface StreamPost { type: 'status' | 'comment', text: string }

/** What one typed line asks for. A mistake is explained and the chat goes on: nobody wants to restart for a typo. */
export type ChatAction =
  | { kind: 'push', spec: PushSpec }
  | { kind: 'publish', post: StreamPost }
  | { kind: 'account', uid: string | undefined }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'nothing' }
  | { kind: 'mistake', message: string }

export const CHAT_HELP = [
  'Type a line to send it as a text message (start it with // to send a text that begins with /), or:',
  '  /follow, /unfollow, /subscribe, /unsubscribe   the fan follows, unfollows, (un)subscribes',
  '  /click KEY      taps the menu button KEY           /view URL   opens a menu link',
  '  /scan KEY       scans the QR code with scene KEY   /image, /voice   sends a picture or a voice message',
  '  /position LAT LON   sends a location               /mention TEXT   mentions the account in a status',
  '  /status TEXT    posts a weibo on the push stream   /comment TEXT   comments on the push stream',
  '  /account [UID]  writes to another account of the bot (chat --account); without UID, lists them',
  '  /help           this list                          /quit   ends (so does Ctrl-D)'
].join('\n')

const EVENT_COMMANDS: Record<string, string> = { follow: 'follow', unfollow: 'unfollow', subscribe: 'subscribe', unsubscribe: 'unsubscribe' }
/** Commands whose argument is the event's key: menu key, link, QR scene. */
const KEYED_COMMANDS: Record<string, { subtype: string, argument: string }> = {
  click: { subtype: 'click', argument: 'KEY' },
  view: { subtype: 'view', argument: 'URL' },
  scan: { subtype: 'scan', argument: 'KEY' }
}

function isCoordinate (value: string | undefined, limit: number): value is string {
  return value !== undefined && /^-?\d+(\.\d+)?$/.test(value) && Math.abs(Number(value)) <= limit
}

function slashCommand (name: string, rest: string): ChatAction {
  const words = rest === '' ? [] : rest.split(/\s+/)
  const event = EVENT_COMMANDS[name]
  if (event !== undefined) return { kind: 'push', spec: { type: 'event', subtype: event } }
  const keyed = KEYED_COMMANDS[name]
  if (keyed !== undefined) {
    const [key] = words
    if (key === undefined) return { kind: 'mistake', message: `/${name} needs a ${keyed.argument}, e.g. /${name} ${name === 'view' ? 'https://example.com/' : 'MENU_1'}` }
    return { kind: 'push', spec: { type: 'event', subtype: keyed.subtype, key } }
  }
  switch (name) {
    case 'image':
    case 'voice':
      return { kind: 'push', spec: { type: name } }
    case 'position': {
      const [latitude, longitude] = words
      if (!isCoordinate(latitude, 90) || !isCoordinate(longitude, 180)) {
        return { kind: 'mistake', message: '/position needs LAT LON as decimal numbers, e.g. /position 31.2304 121.4737' }
      }
      return { kind: 'push', spec: { type: 'position', latitude, longitude } }
    }
    case 'mention':
      return { kind: 'push', spec: rest === '' ? { type: 'mention' } : { type: 'mention', text: rest } }
    case 'status':
    case 'comment':
      if (rest === '') return { kind: 'mistake', message: `/${name} needs the ${name === 'status' ? 'weibo' : 'comment'}'s TEXT, e.g. /${name} 今天喝了青柚` }
      return { kind: 'publish', post: { type: name, text: rest } }
    case 'account':
      if (words.length > 1 || (words[0] !== undefined && !/^\d{1,20}$/.test(words[0]))) return { kind: 'mistake', message: '/account takes one account uid (digits), e.g. /account 1902538057' }
      return { kind: 'account', uid: words[0] }
    case 'help':
      return { kind: 'help' }
    case 'quit':
    case 'exit':
      return { kind: 'quit' }
    default:
      return { kind: 'mistake', message: `unknown command /${name}; /help lists them (start a text with // to send it with a slash)` }
  }
}

export function parseChatLine (line: string): ChatAction {
  const trimmed = line.trim()
  if (trimmed === '') return { kind: 'nothing' }
  if (trimmed.startsWith('//')) return { kind: 'push', spec: { type: 'text', text: trimmed.slice(1) } }
  if (!trimmed.startsWith('/')) return { kind: 'push', spec: { type: 'text', text: trimmed } }
  const match = /^\/(\S*)\s*(.*)$/.exec(trimmed)
  return slashCommand(match?.[1]?.toLowerCase() ?? '', match?.[2] ?? '')
}

/** Turns pushes and replies into the lines a person reads; no I/O here. */

type Fields = Record<string, unknown>

function fieldsOf (value: unknown): Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Fields : {}
}

function show (value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value) ?? '?'
}

/** `label  text`, with the label padded so reports line up. */
export function labelled (label: string, text: string): string {
  return `${label.padEnd(7)}${text}`
}

/** What the push's `data` says beside its type: the subtype with key and ticket, coordinates, file ids. */
function pushDetails (type: unknown, data: Fields): string {
  const parts: string[] = []
  if (data.key !== undefined) parts.push(`key ${show(data.key)}`)
  if (data.ticket !== undefined) parts.push(`ticket ${show(data.ticket)}`)
  if (type === 'position') parts.push(`latitude ${show(data.latitude)}, longitude ${show(data.longitude)}`)
  if (type === 'voice' || type === 'image') parts.push(`vfid ${show(data.vfid)}, tovfid ${show(data.tovfid)}`)
  const subtype = data.subtype === undefined ? '' : ` ${show(data.subtype)}`
  return `${subtype}${parts.length === 0 ? '' : ` (${parts.join(', ')})`}`
}

/** One line for a push as sent: `event click (key MENU_1) from fan 2489518277 to account 1902538057: "点击菜单"`. */
export function describePush (push: unknown): string {
  const fields = fieldsOf(push)
  const text = typeof fields.text === 'string' && fields.text !== '' ? `: ${JSON.stringify(fields.text)}` : ''
  return `${show(fields.type)}${pushDetails(fields.type, fieldsOf(fields.data))} from fan ${show(fields.sender_id)} ` +
    `to account ${show(fields.receiver_id)}${text}`
}

/** A short tag for a fan's line in chat: `[event click, key MENU_1]`. */
export function describeFanAction (push: unknown): string {
  const fields = fieldsOf(push)
  return `[${show(fields.type)}${pushDetails(fields.type, fieldsOf(fields.data))}]`
}

/**
 * A reply payload as the fan would read it: the text itself; each article's title, link and summary; a position.
 * The first line follows a label naming the type; the others are meant to be indented under it.
 */
export function replyLines (type: string, payload: unknown): string[] {
  const data = fieldsOf(payload)
  switch (type) {
    case 'text':
      return show(data.text).split('\n')
    case 'articles': {
      const list = Array.isArray(data.articles) ? data.articles : []
      return list.flatMap((item: unknown, index) => {
        const article = fieldsOf(item)
        const summary = typeof article.summary === 'string' && article.summary !== '' ? [`   ${article.summary}`] : []
        return [`${index + 1}. ${show(article.display_name)} <${show(article.url)}>`, ...summary]
      })
    }
    case 'position':
      return [`latitude ${show(data.latitude)}, longitude ${show(data.longitude)}`]
    default:
      return [JSON.stringify(payload) ?? '?']
  }
}

/** `first` after `prefix`, the rest indented to line up under it. */
export function indentUnder (prefix: string, lines: readonly string[]): string[] {
  const pad = ' '.repeat(prefix.length)
  return lines.map((line, index) => `${index === 0 ? prefix : pad}${line}`)
}

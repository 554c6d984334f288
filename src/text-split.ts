/** Weibo's counting of "characters": code points, so an emoji or a CJK character is one. */
export function codePointLength (text: string): number {
  // Each surrogate pair (an astral character such as an emoji) is two UTF-16 units but one code point.
  const pairs = text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)
  return text.length - (pairs === null ? 0 : pairs.length)
}

// Where a long text is best cut, best first: a line break, the end of a sentence, then a pause (comma, space).
const LINE_BREAK = /\n/
const SENTENCE_END = /[。！？!?…;；]/
const PAUSE = /[，,、：:\s]/

/** The index just after the last char in `chars[from..to)` that matches, or -1. */
function lastBreakAfter (chars: readonly string[], from: number, to: number, pattern: RegExp): number {
  for (let index = to - 1; index >= from; index--) {
    if (pattern.test(chars[index] ?? '')) return index + 1
  }
  return -1
}

/**
 * Cuts a text into parts of at most `max` code points, each cut at the last line break, sentence end or pause in
 * the second half of the part (so no part is tiny), or hard at `max` when there is none. Never splits a code point
 * (emoji stay whole). Whitespace at the cuts is dropped; empty parts are never produced.
 */
export function splitText (text: string, max: number): string[] {
  const parts: string[] = []
  let rest = [...text.trim()]
  while (rest.length > max) {
    const from = Math.floor(max / 2)
    const cut = [LINE_BREAK, SENTENCE_END, PAUSE]
      .map((pattern) => lastBreakAfter(rest, from, max, pattern))
      .find((index) => index > 0) ?? max
    const part = rest.slice(0, cut).join('').trimEnd()
    if (part !== '') parts.push(part)
    rest = [...rest.slice(cut).join('').trimStart()]
  }
  if (rest.length > 0) parts.push(rest.join(''))
  return parts
}

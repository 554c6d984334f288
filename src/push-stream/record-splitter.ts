/** One piece of the stream: a record line, or a line too long to keep. */
export type SplitLine =
  /**
   * A non-blank line, its CRLF (or bare LF) removed. `terminated` is false only for a last line the stream ended
   * without a line break: the caller may treat it as cut short if it does not parse.
   */
  | { kind: 'line', line: string, terminated: boolean }
  /**
   * A line longer than `maxLineBytes`, dropped without being buffered. `bytes` is its size (a CR before the LF
   * included); `head` holds its first bytes (enough to read a leading `{"id":…`), so the caller can still move past it.
   */
  | { kind: 'oversize', bytes: number, head: string }

export interface SplitRecordsOptions {
  /** Longest line kept, in bytes, a CR before the LF included; longer ones are dropped. Default 1 MiB. */
  maxLineBytes?: number
  /** How many leading bytes of a dropped line `head` keeps. Default 256. */
  headBytes?: number
}

const LF = 0x0a
const CR = 0x0d
const decoder = new TextDecoder('utf-8')

function decodeLine (parts: Uint8Array[], length: number): string {
  let bytes = parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts, length)
  if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1)
  // Decoded only once the whole line is here: a multi-byte character cut between two chunks is whole again.
  return decoder.decode(bytes)
}

/**
 * Splits a byte stream (a fetch body) into the records of Weibo's push stream: lines separated by CRLF, a bare LF
 * tolerated. The split happens on bytes, before decoding. Blank lines are skipped. Memory stays bounded: a line
 * past `maxLineBytes` is not buffered but skipped up to its next line break and reported once as `oversize`.
 *
 * Pull-driven: the next chunk is read only when the caller asks for the next line, so a caller that stops asking
 * stops reading from the socket (backpressure).
 */
export async function * splitRecords (chunks: AsyncIterable<Uint8Array>, options: SplitRecordsOptions = {}): AsyncGenerator<SplitLine> {
  const maxLineBytes = options.maxLineBytes ?? 1024 * 1024
  const headBytes = options.headBytes ?? 256
  let parts: Uint8Array[] = []
  let length = 0
  // Set while skipping the rest of an oversize line: its byte count so far and its first bytes.
  let dropped: { bytes: number, head: Uint8Array } | undefined

  function take (piece: Uint8Array): void {
    if (dropped !== undefined) {
      dropped.bytes += piece.length
      return
    }
    if (length + piece.length > maxLineBytes) {
      const head = Buffer.concat([...parts, piece], length + piece.length).subarray(0, headBytes)
      dropped = { bytes: length + piece.length, head: Uint8Array.from(head) }
      parts = []
      length = 0
      return
    }
    if (piece.length > 0) {
      parts.push(piece)
      length += piece.length
    }
  }

  function finish (terminated: boolean): SplitLine | undefined {
    if (dropped !== undefined) {
      const item: SplitLine = { kind: 'oversize', bytes: dropped.bytes, head: decoder.decode(dropped.head) }
      dropped = undefined
      return item
    }
    const line = decodeLine(parts, length)
    parts = []
    length = 0
    return line.trim() === '' ? undefined : { kind: 'line', line, terminated }
  }

  for await (const chunk of chunks) {
    let start = 0
    let end = chunk.indexOf(LF, start)
    while (end !== -1) {
      take(chunk.subarray(start, end))
      const item = finish(true)
      if (item !== undefined) yield item
      start = end + 1
      end = chunk.indexOf(LF, start)
    }
    // Kept as a view: the chunk is not copied, and a line is capped at maxLineBytes anyway.
    if (start < chunk.length) take(chunk.subarray(start))
  }
  // The stream ended inside a line. Tolerant choice: hand it over (marked unterminated) rather than drop it; Weibo
  // closes after flushing whole records, so this is normally a complete record without its CRLF.
  if (length > 0 || dropped !== undefined) {
    const item = finish(false)
    if (item !== undefined) yield item
  }
}

import { createHash } from 'node:crypto'
import { Command, type Redis } from 'ioredis'

/** A Lua script sent by its SHA-1 (`EVALSHA`), and by its text (`EVAL`) where Redis may not hold it yet. */
export interface EncodedScript {
  readonly lua: string
  readonly sha: string
  /** The sockets this script was sent on as `EVAL` (which loads it): `EVALSHA` on those from then on. */
  readonly loadedOn: WeakSet<object>
}

export function encodedScript (lua: string): EncodedScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex'), loadedOn: new WeakSet() }
}

/**
 * Runs the script over `keys` and `args`: `EVALSHA`, or `EVAL` the first time on a connection's socket (a new one
 * after every reconnect) and once more if Redis answers NOSCRIPT (its script cache flushed or restarted), as ioredis's
 * own `defineCommand` does. Resolves with the script's reply, strings as UTF-8 text.
 *
 * Why not `defineCommand`: ioredis builds a command's wire text by concatenating five strings per argument, which V8
 * keeps as a rope of small string objects until the socket write flattens it into one more copy; a batch of the
 * dedup store (src/redis-script-batch.ts) has a few hundred arguments, and on Redis those ropes, the copy of the
 * argument list and the flattening were ~4.7 KB of the ~20 KB the server allocated per push (bench/README.md,
 * fourteenth session). Here the command is written straight into one Buffer, which the socket sends as it is.
 */
export function runEncodedScript (redis: Redis, script: EncodedScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
  // ioredis types sendCommand's answer as unknown: it is the command's promise.
  const send = (asText: boolean): Promise<unknown> => redis.sendCommand(new EncodedScriptCommand(script, keys, args, asText)) as Promise<unknown>
  return send(false).catch((error: unknown) => {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
    return send(true)
  })
}

class EncodedScriptCommand extends Command {
  private readonly script: EncodedScript
  private readonly scriptKeys: readonly string[]
  private readonly scriptArgs: ReadonlyArray<string | number>
  private readonly asText: boolean

  constructor (script: EncodedScript, keys: readonly string[], args: ReadonlyArray<string | number>, asText: boolean) {
    // No arguments for ioredis to copy and stringify: they are encoded here. 'utf8': replies as strings, as the
    // commands ioredis generates answer them.
    super('evalsha', [], { replyEncoding: 'utf8' })
    this.script = script
    this.scriptKeys = keys
    this.scriptArgs = args
    this.asText = asText
  }

  // Called by ioredis as it writes the command (again if it resends it after a reconnect, on the new socket).
  override toWritable (socket: object): Buffer {
    const { script } = this
    const loaded = !this.asText && script.loadedOn.has(socket)
    if (!loaded) script.loadedOn.add(socket)
    return encodeCommand(loaded ? 'evalsha' : 'eval', loaded ? script.sha : script.lua, this.scriptKeys, this.scriptArgs)
  }
}

/**
 * The command's arguments as ioredis would hold them (`sha`, number of keys, keys, arguments), made only when read:
 * by ioredis's debug log and tracing when they are on, or by a test watching the commands sent. Nothing reads them
 * on the usual path, and a copy per command is what this command saves. What ioredis's constructor assigns (none)
 * is kept until the command's own fields are set.
 */
Object.defineProperty(EncodedScriptCommand.prototype, 'args', {
  get (this: { scriptKeys?: readonly string[], scriptArgs: ReadonlyArray<string | number>, script: EncodedScript, assigned?: unknown[] }) {
    if (this.scriptKeys === undefined) return this.assigned ?? []
    return [this.script.sha, String(this.scriptKeys.length), ...this.scriptKeys, ...this.scriptArgs.map(String)]
  },
  set (this: { assigned?: unknown[] }, value: unknown[]) { this.assigned = value }
})

const CR = 13
const LF = 10

/** Byte lengths of the last command's values, kept between calls (encoding is synchronous). */
let lengths = new Int32Array(256)

/**
 * RESP for `name head <number of keys> keys… args…`: `*<count>\r\n`, then `$<bytes>\r\n<value>\r\n` per value. Two
 * passes: byte lengths (a header precedes each value), then the writes into a Buffer of the exact size.
 */
export function encodeCommand (name: string, head: string, keys: readonly string[], args: ReadonlyArray<string | number>): Buffer {
  const count = 3 + keys.length + args.length
  if (lengths.length < count) lengths = new Int32Array(count * 2)
  const numberOfKeys = String(keys.length)
  let size = headerSize(count)
  let index = 0
  const measure = (value: string): void => {
    const bytes = Buffer.byteLength(value)
    lengths[index++] = bytes
    size += headerSize(bytes) + bytes + 2
  }
  measure(name)
  measure(head)
  measure(numberOfKeys)
  for (const key of keys) measure(key)
  for (const arg of args) measure(typeof arg === 'string' ? arg : String(arg))

  const buffer = Buffer.allocUnsafe(size)
  let offset = writeHeader(buffer, 0, 0x2a /* * */, count)
  index = 0
  const write = (value: string): void => {
    offset = writeHeader(buffer, offset, 0x24 /* $ */, lengths[index++] as number)
    offset += buffer.write(value, offset, 'utf8')
    buffer[offset++] = CR
    buffer[offset++] = LF
  }
  write(name)
  write(head)
  write(numberOfKeys)
  for (const key of keys) write(key)
  for (const arg of args) write(typeof arg === 'string' ? arg : String(arg))
  return buffer
}

function headerSize (value: number): number {
  return 1 + digits(value) + 2
}

function digits (value: number): number {
  let count = 1
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) count++
  return count
}

/** `<marker><value in decimal>\r\n`, written digit by digit: no string made for the number. */
function writeHeader (buffer: Buffer, offset: number, marker: number, value: number): number {
  buffer[offset++] = marker
  const end = offset + digits(value)
  let rest = value
  for (let at = end - 1; at >= offset; at--) {
    buffer[at] = 0x30 + rest % 10
    rest = Math.floor(rest / 10)
  }
  buffer[end] = CR
  buffer[end + 1] = LF
  return end + 2
}

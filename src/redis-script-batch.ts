import type { Redis } from 'ioredis'
import { encodedScript, runEncodedScript } from './redis-encoded-script.ts'
import { redisTurn } from './redis-turn.ts'

/** A Lua script run for many items in one command: each item's reply, or its error, comes back on its own. */
export interface ScriptBatch {
  /** Runs the script for one item in this turn's command. Resolves with the item's reply; rejects with its error. */
  run: (keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>
  /**
   * Runs the script for one item nobody waits for (the dedup settle): no promise is made for it; `onError` is told of
   * its error, or of the command's.
   */
  send: (keys: readonly string[], args: ReadonlyArray<string | number>, onError: (error: unknown) => void) => void
}

export interface ScriptBatchDefinition {
  /** The batch's name, in its errors. */
  name: string
  keysPerItem: number
  argsPerItem: number
  /**
   * Lua, the body of `local function item (k, a)`: the item's keys are `KEYS[k + 1]` … `KEYS[k + keysPerItem]`, its
   * arguments `ARGV[a + 1]` … `ARGV[a + argsPerItem]`. What it returns is the item's reply; an error it raises is the
   * item's error alone.
   */
  item: string
}

/**
 * Items per command at most: a script holds Redis for its whole run, so a batch is kept short (under load a turn
 * gives ~10; see bench/README.md).
 */
export const MAX_ITEMS_PER_COMMAND = 128

interface Waiting {
  resolve: (reply: unknown) => void
  reject: (error: unknown) => void
}

/**
 * The items of one event-loop turn sent as one `EVALSHA`, whose script loops over them, in the turn's one socket
 * write (redis-turn.ts). Why not a command per item: each command costs the client an ioredis command object, a
 * promise, a timeout timer and a reply to parse, and costs Redis a script call; the dedup claim, the settle and a new
 * fan's quota record were three per push. Measured (bench/README.md, twelfth session): ~20 -> ~12 us of client CPU
 * and ~30 -> ~20 us of Redis CPU per push, ten pushes to a turn. Items run in the order given, each atomically, as
 * separate scripts would; an item's error (`pcall`) is its own, and a failed command fails every item in it. The
 * batch leaves at the turn's end, after any plain command given later in the same turn: a caller that needs an item
 * sent first (before QUIT, say) ends the turn itself (`RedisTurn.flush`). Keys of many items in one command: not for
 * Redis Cluster (neither were the stores' scripts before).
 */
export function createScriptBatch (redis: Redis, definition: ScriptBatchDefinition): ScriptBatch {
  const { name, keysPerItem, argsPerItem } = definition
  if (!Number.isInteger(keysPerItem) || keysPerItem < 1 || !Number.isInteger(argsPerItem) || argsPerItem < 0) {
    throw new Error(`createScriptBatch(${name}): an item takes a whole number of keys (one or more) and of arguments (zero or more)`)
  }
  const lua = `local function item (k, a)
${definition.item}
end
local replies = {}
for i = 0, #KEYS / ${keysPerItem} - 1 do
  local ok, reply = pcall(item, i * ${keysPerItem}, i * ${argsPerItem})
  if not ok then reply = { err = type(reply) == 'table' and reply.err or tostring(reply) }
  elseif reply == nil then reply = false end
  replies[i + 1] = reply
end
return replies`
  const script = encodedScript(lua)
  const turn = redisTurn(redis)
  let keys: string[] = []
  let args: Array<string | number> = []
  let waiting: Waiting[] = []

  function flush (): void {
    if (waiting.length === 0) return
    const sent = waiting
    const sentKeys = keys
    const sentArgs = args
    keys = []
    args = []
    waiting = []
    let command: Promise<unknown>
    try {
      command = runEncodedScript(redis, script, sentKeys, sentArgs)
    } catch (error) {
      command = Promise.reject(error) // not seen from ioredis; if it threw, the items fail, and later ones still go
    }
    command.then((answer) => {
      const replies = answer as unknown[]
      sent.forEach((item, index) => {
        const reply = replies[index]
        if (reply instanceof Error) item.reject(reply)
        else item.resolve(reply)
      })
    }, (error: unknown) => { for (const item of sent) item.reject(error) })
  }

  function add (itemKeys: readonly string[], itemArgs: ReadonlyArray<string | number>, item: Waiting): void {
    if (waiting.length === 0) turn.atEnd(flush)
    for (const key of itemKeys) keys.push(key)
    for (const arg of itemArgs) args.push(arg)
    waiting.push(item)
    if (waiting.length === MAX_ITEMS_PER_COMMAND) flush()
  }

  const fits = (itemKeys: readonly string[], itemArgs: ReadonlyArray<string | number>): boolean =>
    itemKeys.length === keysPerItem && itemArgs.length === argsPerItem
  const misfit = (): Error => new Error(`${name}: an item takes ${keysPerItem} keys and ${argsPerItem} arguments`)
  const ignore = (): void => {}

  return {
    run (itemKeys, itemArgs) {
      if (!fits(itemKeys, itemArgs)) return Promise.reject(misfit())
      // Not an async function: the item's own promise is the one returned, none wrapped around it (three per push).
      return new Promise((resolve, reject) => { add(itemKeys, itemArgs, { resolve, reject }) })
    },
    send (itemKeys, itemArgs, onError) {
      if (!fits(itemKeys, itemArgs)) {
        onError(misfit())
        return
      }
      add(itemKeys, itemArgs, { resolve: ignore, reject: onError })
    }
  }
}

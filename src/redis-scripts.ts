import type { Redis } from 'ioredis'

/** A Lua script and how many of its arguments are keys (absent: the call's first argument says). */
export interface ScriptDefinition {
  numberOfKeys?: number
  lua: string
}

/**
 * Defines the scripts as commands of the connection (ioredis's `defineCommand`: `EVALSHA`, so a script's text is sent
 * once per connection, not with every call), once: stores sharing a connection define theirs on it. `Commands` is
 * the typed signature of each; the connection is returned with them.
 */
export function defineScripts<Commands extends object> (redis: Redis, scripts: { [Name in keyof Commands & string]: ScriptDefinition }): Redis & Commands {
  for (const [name, script] of Object.entries(scripts) as Array<[string, ScriptDefinition]>) {
    if (!(name in redis)) redis.defineCommand(name, script)
  }
  return redis as Redis & Commands
}

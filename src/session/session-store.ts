/**
 * A fan's session: a plain, JSON-serialisable object that handlers read and change through `ctx.session`. Loosely
 * typed by default (like grammY's); a handler declares its own shape with `defineHandler<'text', MySession>`.
 */
// `any`, not `unknown`: a shape a handler declares must fit it both ways.
export type SessionData = Record<string, any>

/**
 * A session as stored. `version` counts the saves (0: never saved); `applied` lists the dedup keys of the last pushes
 * whose handler changed it, so a push handled again (its dedup entry forgotten or lost) never changes it twice.
 */
export interface StoredSession {
  /** The session object as JSON text. */
  json: string
  version: number
  applied: readonly string[]
}

/** The stored state of a fan with no session yet. */
export const EMPTY_SESSION: StoredSession = Object.freeze({ json: '{}', version: 0, applied: Object.freeze([]) })

/** How many applied dedup keys a session keeps: Weibo retries within about 15 s, and a fan rarely writes 16 times in that. */
export const APPLIED_KEYS_KEPT = 16

export interface SaveInput {
  key: string
  /** The version the run loaded: the save is refused if another save came in between. */
  expectedVersion: number
  json: string
  applied: readonly string[]
}

/**
 * Where sessions live, by key (`<receiving account>:<fan>`), for SESSION_TTL_MS since the fan's last message.
 * `load` also restarts that TTL. `save` is a compare-and-set on the version: false when another run saved first.
 */
export interface SessionStore {
  load: (key: string) => StoredSession | Promise<StoredSession>
  save: (input: SaveInput) => boolean | Promise<boolean>
  /** Sessions held now (in memory; 0 on Redis, where Redis counts them). */
  readonly size: number
}

/** The applied list after a save by the push `dedupKey`: newest last, at most APPLIED_KEYS_KEPT. */
export function withApplied (applied: readonly string[], dedupKey: string): string[] {
  return [...applied, dedupKey].slice(-APPLIED_KEYS_KEPT)
}

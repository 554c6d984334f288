import type { Redis } from 'ioredis'

/** One event-loop turn of a Redis connection, as the stores that batch their commands see it (redis-script-batch.ts). */
export interface RedisTurn {
  /** Calls `flush` in this turn's check phase, before the turn's commands leave in one socket write. */
  atEnd: (flush: () => void) => void
  /**
   * Ends the turn now: the batches give their commands and everything leaves. For closing: a command written after
   * QUIT is never read, so what waits for the turn's end must go first.
   */
  flush: () => void
}

const turns = new WeakMap<Redis, RedisTurn>()

/**
 * Sends the commands a connection is given during one turn of the event loop in one socket write: the socket is
 * corked at the turn's first command and uncorked in the turn's check phase (setImmediate), after every I/O callback
 * of the turn and its promise continuations ran, and after the turn's batches (`atEnd`) gave their commands. ioredis
 * writes each command on its own: a write syscall, and a read and a reply on Redis's side. Under load one turn
 * handles several requests and Redis replies, and their commands (claims, quota records, settles) leave together;
 * nothing waits past the current turn. Unlike ioredis's own auto-pipelining, no command waits for another's reply.
 * Measured (bench/README.md, eleventh session): uncorking on the next tick batched only the commands of one callback
 * (0.65 Redis reads per push); the check phase, 0.10, and ~7 us less CPU per push in the server. One per connection:
 * a second call answers the first's turn.
 */
export function redisTurn (redis: Redis): RedisTurn {
  const known = turns.get(redis)
  if (known !== undefined) return known
  let scheduled = false
  let flushes: Array<() => void> = []
  let uncorks: Array<() => void> = []
  const end = (): void => {
    try {
      // A batch that fills up mid-turn has sent its part already; what is left goes now, in the corked write.
      while (flushes.length > 0) {
        const now = flushes
        flushes = []
        for (const flush of now) flush()
      }
    } finally {
      scheduled = false
      const now = uncorks
      uncorks = []
      for (const uncork of now) uncork()
    }
  }
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    setImmediate(end)
  }
  const wrap = (): void => {
    const stream = redis.stream
    const write = stream.write
    let corked = false
    const uncork = (): void => {
      corked = false
      stream.uncork()
    }
    stream.write = function (this: typeof stream, ...args: Parameters<typeof write>) {
      if (!corked) {
        corked = true
        stream.cork()
        uncorks.push(uncork)
        schedule() // a no-op inside `end`, which uncorks after its flushes
      }
      return write.apply(this, args)
    } as typeof write
  }
  // ioredis opens a new socket on every reconnect.
  if (redis.stream !== undefined) wrap()
  redis.on('connect', wrap)
  const turn: RedisTurn = {
    atEnd (flush) {
      flushes.push(flush)
      schedule()
    },
    flush () {
      if (scheduled) end() // the immediate still comes, and finds nothing to do
    }
  }
  turns.set(redis, turn)
  return turn
}

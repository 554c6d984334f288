import type { Redis } from 'ioredis'

/**
 * Sends the commands a connection is given during one turn of the event loop in one socket write: the socket is
 * corked at the first command and uncorked on the next tick, after every promise continuation of the turn has run.
 * ioredis writes each command on its own (a write syscall, and a read and a reply on Redis's side); on the passive
 * path the continuations of one Redis read send several pushes' next commands at once. Unlike ioredis's own
 * auto-pipelining, no command waits for another's reply, and nothing waits past the current turn.
 */
export function coalesceWrites (redis: Redis): void {
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
        process.nextTick(uncork)
      }
      return write.apply(this, args)
    } as typeof write
  }
  // ioredis opens a new socket on every reconnect.
  if (redis.stream !== undefined) wrap()
  redis.on('connect', wrap)
}

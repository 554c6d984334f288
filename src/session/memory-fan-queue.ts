import type { FanQueue, LeaveTurn } from './fan-queue.ts'

interface Waiter {
  createdAtMs: number
  arrival: number
  start: () => void
}

interface Line {
  running: boolean
  waiting: Waiter[]
}

/**
 * The fan queue of one process: a line per fan with a push running, dropped when the fan's last push leaves, so
 * it holds only fans active right now. Waiters are kept sorted (a fan rarely has more than a few at once).
 */
export function createMemoryFanQueue (): FanQueue {
  const lines = new Map<string, Line>()
  let arrivals = 0

  function leaveOf (fanKey: string, line: Line): LeaveTurn {
    let left = false
    return () => {
      if (left) return
      left = true
      const next = line.waiting.shift()
      if (next !== undefined) next.start()
      else {
        line.running = false
        lines.delete(fanKey)
      }
    }
  }

  return {
    get size () { return lines.size },
    async enter ({ fanKey, createdAtMs, signal }) {
      signal.throwIfAborted()
      let line = lines.get(fanKey)
      if (line === undefined) {
        line = { running: false, waiting: [] }
        lines.set(fanKey, line)
      }
      if (!line.running) {
        line.running = true
        return leaveOf(fanKey, line)
      }
      const current = line
      return await new Promise<LeaveTurn>((resolve, reject) => {
        const waiter: Waiter = {
          createdAtMs,
          arrival: arrivals++,
          start: () => {
            signal.removeEventListener('abort', onAbort)
            resolve(leaveOf(fanKey, current))
          }
        }
        const onAbort = (): void => {
          current.waiting.splice(current.waiting.indexOf(waiter), 1)
          reject(signal.reason)
        }
        signal.addEventListener('abort', onAbort, { once: true })
        // After every waiter sent earlier, or arrived earlier in the same second.
        const at = current.waiting.findIndex((other) => other.createdAtMs > createdAtMs)
        current.waiting.splice(at === -1 ? current.waiting.length : at, 0, waiter)
      })
    },
    close: async () => {}
  }
}

/** Keeps count of promises in flight so shutdown can wait for them. */
export interface WorkTracker {
  /** Tracks `promise` until it settles, and returns it. */
  track: <T>(promise: Promise<T>) => Promise<T>
  /** Resolves when nothing is in flight (at once if nothing is). */
  idle: () => Promise<void>
  readonly size: number
}

export function createWorkTracker (): WorkTracker {
  const inFlight = new Set<Promise<unknown>>()
  let waiters: Array<() => void> = []

  function release (promise: Promise<unknown>): void {
    inFlight.delete(promise)
    if (inFlight.size > 0) return
    const wake = waiters
    waiters = []
    for (const resolve of wake) resolve()
  }

  return {
    get size () { return inFlight.size },
    track (promise) {
      inFlight.add(promise)
      promise.then(() => { release(promise) }, () => { release(promise) })
      return promise
    },
    async idle () {
      if (inFlight.size === 0) return
      await new Promise<void>((resolve) => { waiters.push(resolve) })
    }
  }
}

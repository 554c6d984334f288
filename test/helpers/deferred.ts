/** A promise the test settles by hand: lets a handler "take long" without the test sleeping. */
export interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

export function deferred<T = void> (): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((_resolve, _reject) => { resolve = _resolve; reject = _reject })
  return { promise, resolve, reject }
}

/**
 * Resolves when `check` returns (or resolves to) true, polling every few ms; fails after `timeoutMs`. The limit only
 * bounds how long a failing test takes to say so: a passing one returns as soon as the condition holds, so it is
 * generous, for a machine busy enough to slow every step ten times.
 */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 20_000, everyMs = 5): Promise<void> {
  const started = Date.now()
  while (!await check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

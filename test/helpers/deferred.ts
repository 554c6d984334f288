import { writeFile } from 'node:fs/promises'
import path from 'node:path'

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

/**
 * Holds a handler that must be late until its push was answered, whatever the machine's timers do: a handler that
 * sleeps past the deadline races the deadline's own timer, which starts after the handler does, and a process paused
 * between the two answers passively. `watch(app)` wraps the app's `inject`; when any injected request settles, every
 * handler waiting in `answered()` goes on. For tests that inject one request at a time and whose late handler starts
 * before its push is answered. A handler still waiting after `timeoutMs` fails, saying why, rather than waiting out
 * the handler timeout.
 */
export function answerGate (timeoutMs = 10_000): { answered: () => Promise<void>, watch: (app: { inject: unknown }) => void } {
  let waiting: Array<() => void> = []
  return {
    answered: async () => {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`answerGate: no injected request settled within ${timeoutMs} ms of this handler's start (the deadline never fired, or the push was answered before the handler started)`))
        }, timeoutMs)
        timer.unref()
        waiting.push(() => { clearTimeout(timer); resolve() })
      })
    },
    watch: (app) => {
      const inject = (app.inject as (request: unknown) => Promise<unknown>).bind(app)
      Object.assign(app, {
        inject: async (request: unknown) => {
          try {
            return await inject(request)
          } finally {
            for (const open of waiting) open()
            waiting = []
          }
        }
      })
    }
  }
}

/**
 * The same for a handler in a server process of its own: the source of a JavaScript handler file for text pushes that
 * answers the text `textExpression` gives (JavaScript, `message` in scope) once `markAnswered` has written `answered`
 * beside it (polling every 10 ms), failing after `timeoutMs`.
 */
export function lateHandlerSource (textExpression: string, timeoutMs = 10_000): string {
  return [
    "import { existsSync } from 'node:fs'",
    "export default { on: 'text', async handle (message) {",
    '  const started = Date.now()',
    "  while (!existsSync(new URL('./answered', import.meta.url))) {",
    `    if (Date.now() - started > ${timeoutMs}) throw new Error('the test never marked the push answered')`,
    '    await new Promise((resolve) => setTimeout(resolve, 10))',
    '  }',
    `  return { type: 'text', text: ${textExpression} }`,
    '} }',
    ''
  ].join('\n')
}

/** Lets the handlers written by `lateHandlerSource` into `dir` answer. */
export async function markAnswered (dir: string): Promise<void> {
  await writeFile(path.join(dir, 'answered'), '')
}

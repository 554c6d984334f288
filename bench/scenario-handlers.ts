import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import type { Handler } from '../src/handler.ts'

export type ScenarioName = 'passive' | 'retry' | 'late'

/** What the handlers saw, read back by the load generator to check its own bookkeeping. */
export interface HandlerCounts {
  runs: number
  slowRuns: number
  /** Message ids that ran more than once: must stay empty (one run per distinct message). */
  repeated: number[]
  /** Every message id that ran, for the retry check (the generator compares it with what it sent). */
  ran?: number[]
}

export interface ScenarioHandlers {
  handlers: Handler[]
  counts: () => HandlerCounts
  reset: () => void
}

/** Every generated text starts with `id-<n>` (plus `slow` for the late path): the handler reads its id back. */
const ID = /^(slow )?id-(\d+)/

export function messageId (text: string): number {
  return Number(ID.exec(text)?.[2] ?? -1)
}

/**
 * The bench's handlers, one per scenario. Replies carry the message id, so the generator can check that a retry got
 * the first copy's answer. The retry handler yields one event-loop turn: with a fully synchronous handler the first
 * copy is settled before the server reads the next socket, so no retry could ever arrive while it still runs.
 */
export function scenarioHandlers (scenario: ScenarioName, slowHandlerMs: number): ScenarioHandlers {
  let runs = 0
  let slowRuns = 0
  const runsById = new Map<number, number>()
  const reply = (id: number) => ({ type: 'text' as const, text: `ok id-${id}` })

  const count = (text: string): number => {
    runs++
    const id = messageId(text)
    if (scenario === 'retry') runsById.set(id, (runsById.get(id) ?? 0) + 1)
    return id
  }

  const handlers: Handler[] = scenario === 'late'
    ? [{
        name: 'bench-late',
        on: 'text',
        async handle (message) {
          const id = count(message.text)
          // One in five generated texts starts with `slow`: that handler misses the deadline on purpose.
          if (message.text.startsWith('slow')) {
            slowRuns++
            await sleep(slowHandlerMs)
          }
          return reply(id)
        }
      }]
    : [{
        name: scenario === 'retry' ? 'bench-retry' : 'bench-instant',
        on: 'text',
        ...(scenario === 'retry'
          ? { async handle (message) { const id = count(message.text); await nextTurn(); return reply(id) } }
          : { handle (message) { return reply(count(message.text)) } })
      }]

  return {
    handlers,
    counts: () => ({
      runs,
      slowRuns,
      repeated: [...runsById].filter(([, n]) => n > 1).map(([id]) => id),
      ...(scenario === 'retry' ? { ran: [...runsById.keys()] } : {})
    }),
    reset: () => { runs = 0; slowRuns = 0; runsById.clear() }
  }
}

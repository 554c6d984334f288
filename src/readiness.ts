/** One dependency that must answer for the server to take traffic (a store, a queue…). */
export interface ReadinessCheck {
  name: string
  check: () => Promise<void>
}

export interface ReadinessReport {
  ready: boolean
  /** `shutting-down` once shutdown began, whatever the checks say. */
  status: 'ready' | 'not-ready' | 'shutting-down'
  checks: Record<string, 'ok' | string>
}

export interface Readiness {
  /** From now on the server reports not ready, so a load balancer stops sending before it stops listening. */
  markShuttingDown: () => void
  readonly shuttingDown: boolean
  report: () => Promise<ReadinessReport>
}

async function withTimeout (check: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      check(),
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`no answer within ${ms} ms`)) }, ms) })
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Readiness for `/readyz`: every check answers (each within `timeoutMs`), and shutdown has not begun. */
export function createReadiness (options: { checks: readonly ReadinessCheck[], timeoutMs?: number }): Readiness {
  let shuttingDown = false
  const timeoutMs = options.timeoutMs ?? 1000
  return {
    markShuttingDown () { shuttingDown = true },
    get shuttingDown () { return shuttingDown },
    async report () {
      const results = await Promise.all(options.checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check, timeoutMs)
          return [name, 'ok'] as const
        } catch (error) {
          return [name, error instanceof Error ? error.message : String(error)] as const
        }
      }))
      const checks = Object.fromEntries(results)
      const healthy = results.every(([, result]) => result === 'ok')
      return { ready: healthy && !shuttingDown, status: shuttingDown ? 'shutting-down' : healthy ? 'ready' : 'not-ready', checks }
    }
  }
}

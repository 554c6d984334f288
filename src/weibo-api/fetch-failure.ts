/** Why a `fetch` got no answer: our own timeout (AbortSignal.timeout), or a connection error and its reason. */
export interface FetchFailure {
  timedOut: boolean
  /** The underlying reason (ECONNREFUSED…), from undici's `cause` when there is one. */
  reason: string
}

export function describeFetchFailure (error: unknown): FetchFailure {
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
  const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error)
  return { timedOut, reason }
}

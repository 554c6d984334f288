export interface BackoffOptions {
  minMs: number
  maxMs: number
  /** In [0, 1); `Math.random` unless a test pins it. */
  random: () => number
}

/**
 * Wait before the next try after `failures` failures in a row (1 for the first): exponential from `minMs`, capped
 * at `maxMs`, with jitter (a random point in the upper half) so replicas restarted together do not retry in step.
 * Never below `minMs`.
 */
export function backoffDelay (failures: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.minMs * 2 ** Math.max(0, failures - 1))
  return Math.max(options.minMs, Math.round(ceiling / 2 + options.random() * ceiling / 2))
}

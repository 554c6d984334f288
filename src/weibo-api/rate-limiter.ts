import Bottleneck from 'bottleneck'

/** What the HTTP layer needs of a limiter: run a job when the budget allows. */
export interface WeiboRateLimiter {
  schedule: <T>(job: () => Promise<T>) => Promise<T>
}

export interface CommercialLimiterOptions {
  /** Requests allowed per refresh interval; Weibo's commercial (`c.api`) budget is 50,000 per hour per IP. */
  reservoir?: number
  /** Defaults to one hour. */
  refreshIntervalMs?: number
}

export const COMMERCIAL_REQUESTS_PER_HOUR = 50_000

/**
 * The commercial endpoints' budget as a bottleneck reservoir, refilled every hour: once it is spent, further calls
 * wait (queued in order) for the next refill instead of being refused by Weibo. Per process: replicas behind one
 * IP share Weibo's budget, so give each a share of it.
 */
export function createCommercialLimiter (options: CommercialLimiterOptions = {}): Bottleneck {
  const reservoir = options.reservoir ?? COMMERCIAL_REQUESTS_PER_HOUR
  return new Bottleneck({
    reservoir,
    reservoirRefreshAmount: reservoir,
    reservoirRefreshInterval: options.refreshIntervalMs ?? 3_600_000
  })
}

import type { MetricsRoutesOptions } from '../routes/metrics.ts'
import type { Config } from './config.ts'

/**
 * Who may read `/metrics` on a given port. A token always applies. Without one, the private METRICS_PORT is open,
 * and so is the public port outside production; in production the public port refuses (METRICS_PORT or a token).
 */
export function metricsAccess (config: Config, port: 'public' | 'private'): MetricsRoutesOptions['access'] {
  if (config.metricsToken !== undefined) return { kind: 'token', token: config.metricsToken }
  if (port === 'private' || config.nodeEnv !== 'production') return { kind: 'open' }
  return { kind: 'refused' }
}

import { createHash } from 'node:crypto'
import type { Config } from '../config.ts'
import { FanbotError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Storage } from '../storage/storage.ts'
import { createMemoryReplayStore } from './memory-replay-store.ts'
import { createRedisReplayStore } from './redis-replay-store.ts'
import type { ReplayStore } from './replay-store.ts'

/**
 * Weibo's signature covers the secret, timestamp and nonce, not the body: a leaked signed URL (a proxy log, a
 * referrer) could carry any body. The guard remembers the body each signed query came with. The same query with
 * the same body is a Weibo retry and goes on to dedup; with another body it is refused (401).
 */
export interface ReplayGuard {
  /** Throws `WEIBO_ERR_SIGNATURE_REPLAYED` when this verified `signature` was seen with another body. */
  check: (signature: string, rawBody: string) => Promise<void>
}

export function createReplayGuard (store: ReplayStore): ReplayGuard {
  return {
    async check (signature, rawBody) {
      // The signature (40 hex digits, already verified) identifies the (timestamp, nonce) pair: 27 characters as a key.
      const queryKey = Buffer.from(signature, 'hex').toString('base64url')
      const bodyDigest = createHash('sha256').update(rawBody).digest('base64url').slice(0, 22)
      if (await store.sight(queryKey, bodyDigest) === 'different') throw new FanbotError('WEIBO_ERR_SIGNATURE_REPLAYED')
    }
  }
}

/**
 * How long a signed query is remembered: as long as its timestamp can pass the freshness check (±max age, so
 * twice it); without a freshness check, as long as dedup remembers a push.
 */
export function replayMemoryMs (config: Pick<Config, 'signatureMaxAgeMs' | 'dedupTtlMs'>): number {
  return config.signatureMaxAgeMs > 0 ? 2 * config.signatureMaxAgeMs : config.dedupTtlMs
}

/** The guard the config asks for (undefined when off, or without a secret to verify), next to the dedup store. */
export function setUpReplayGuard (options: { config: Config, storage: Storage, logger: Logger, metrics: Metrics }): ReplayGuard | undefined {
  const { config, storage } = options
  if (!config.replayProtection || config.appSecret === undefined) return undefined
  const ttlMs = replayMemoryMs(config)
  const store = storage.choose({
    memory: () => createMemoryReplayStore({ max: config.dedupMax, ttlMs }),
    redis: (redis) => createRedisReplayStore({
      redis,
      prefix: config.redisKeyPrefix,
      ttlMs,
      logger: options.logger,
      onError: () => { options.metrics.storeErrors.inc({ operation: 'replay' }) }
    })
  })
  return createReplayGuard(store)
}

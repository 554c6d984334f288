import type { Config } from '../config.ts'
import { FanbotError } from '../errors.ts'
import { sha256 } from '../hash.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Storage } from '../storage/storage.ts'
import { createMemoryReplayStore } from './memory-replay-store.ts'
import { createRedisReplayStore } from './redis-replay-store.ts'
import type { DeferredSighting } from '../dedup/deferred-sighting.ts'
import type { ReplayStore, Sighting } from './replay-store.ts'

/**
 * Weibo's signature covers the secret, timestamp and nonce, not the body: a leaked signed URL (a proxy log, a
 * referrer) could carry any body. The guard remembers the body each signed query came with. The same query with
 * the same body is a Weibo retry and goes on to dedup; with another body it is refused (401).
 */
export interface ReplayGuard {
  /**
   * Throws (or rejects with) `WEIBO_ERR_SIGNATURE_REPLAYED` when this verified `signature` was seen with another
   * body (`body`: the bytes as received). Synchronous with the memory store (no promise per push), a promise with Redis: `await` it either way.
   */
  check: (signature: string, body: Buffer) => void | Promise<void>
  /**
   * On Redis: the check left to the dedup claim, which makes it in the same round trip (`DeferredSighting`).
   * Absent with the memory store, whose check costs no round trip.
   */
  defer?: (signature: string, body: Buffer) => DeferredSighting
}

function refuse (): never {
  throw new FanbotError('WEIBO_ERR_SIGNATURE_REPLAYED')
}

function judge (sighting: Sighting): void {
  if (sighting === 'different') refuse()
}

export function createReplayGuard (store: ReplayStore): ReplayGuard {
  const check = (signature: string, bodyDigest: string): void | Promise<void> => {
    const sighting = store.sight(signature, bodyDigest)
    return sighting instanceof Promise ? sighting.then(judge) : judge(sighting)
  }
  // SHA-256 of the whole body as received (docs/edge-hardening.md): one-shot; each store keeps what it needs of it.
  const guard: ReplayGuard = { check: (signature, body) => check(signature, sha256(body, 'hex')) }
  const { defer } = store
  if (defer !== undefined) {
    guard.defer = (signature, body) => {
      const bodyDigest = sha256(body, 'hex')
      return { ...defer(signature, bodyDigest), refuse, check: async () => { await check(signature, bodyDigest) } }
    }
  }
  return guard
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

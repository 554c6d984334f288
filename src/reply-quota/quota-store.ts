import type { FanState } from './fan-quota.ts'

/** A change to one fan's state: the new state (undefined = leave it unchanged) and what to return to the caller. */
export type QuotaChange<T> = (state: FanState | undefined) => { state?: FanState | undefined, result: T }

/**
 * Where the reply tracker keeps fan states: this process's memory, or Redis (shared by every replica). `update`
 * applies a change atomically per fan, so two replicas never both take the last reply of a quota.
 */
export interface QuotaStore {
  readonly kind: 'memory' | 'redis'
  update: <T>(fanId: string, change: QuotaChange<T>) => Promise<T>
  /** The same, done before returning, where the store can (memory): every push pays for it, so no promise. */
  updateNow?: <T>(fanId: string, change: QuotaChange<T>) => T
  /** When tracking began (the store's first use): a fan still unknown a full window later has not written since. */
  trackingSince: () => Promise<number>
  /** Fans tracked (memory only; Redis counts its own keys). */
  readonly size: number
}

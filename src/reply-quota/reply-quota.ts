import type { Logger } from '../logger.ts'
import { activityOf, recordActivity, type FanActivity, refundReplies, takeReplies, type RefusalReason, type ReplyLimits, type ReplySource, type TakeResult } from './fan-quota.ts'
import type { QuotaStore } from './quota-store.ts'
import { ReplyRefusedError } from './reply-refused-error.ts'

/** Replies taken for one send; given back (in part) when sending fails. */
export interface ReplyTicket {
  fanId: string
  taken: ReplySource[]
  at: number
}

export interface ReplyQuota {
  readonly limits: Readonly<ReplyLimits>
  /** A push from the fan (the first copy, not Weibo's retries): opens, renews or closes their window. Never rejects. */
  record: (push: { type: string, sender_id: string, data?: unknown }) => void | Promise<void>
  /** Takes `count` replies for the fan, all or none; throws ReplyRefusedError (a WEIBO_ERR_QUOTA_* code) when refused. */
  take: (fanId: string, count: number) => Promise<ReplyTicket>
  /** Gives back the replies of a ticket that were not sent (the last `unsent` of them). Never rejects. */
  refund: (ticket: ReplyTicket, unsent: number) => Promise<void>
  /**
   * For a direct message, which Weibo allows only to followers: throws ReplyRefusedError (WEIBO_ERR_QUOTA_UNFOLLOWED)
   * when the fan's latest news is an unfollow. A fan the bot knows nothing of is left to Weibo. Never counts anything.
   */
  checkFollower: (fanId: string) => Promise<void>
  /** Calls `listener` with every local refusal from now on (the chat CLI shows them); returns the unsubscribe. */
  onRefusal: (listener: (refusal: ReplyRefusedError) => void) => () => void
}

export interface ReplyQuotaOptions {
  store: QuotaStore
  limits: ReplyLimits
  now: () => number
  logger: Logger
  /** Told of every local refusal (for `weibo_fanbot_replies_refused_total`). */
  onRefused?: (reason: RefusalReason) => void
  /** Told of every store failure; the reply is then left to Weibo to judge. */
  onError?: (operation: 'record' | 'take' | 'refund') => void
}

/**
 * The bot's own tracking of Weibo's reply rules, so a reply Weibo would reject is refused here with a clear code
 * instead of a wasted call (and, through the outbox, a failed job). Choices where the platform is silent:
 * - a fan we know nothing of while tracking is younger than one window may have written before we started:
 *   the reply is allowed and left to Weibo to judge (a fresh deploy must not refuse everyone);
 * - passive replies (the response body) never count: the quota is Weibo's limit on active messages;
 * - if the store fails (Redis down), the reply is allowed and Weibo judges it: availability over strictness.
 */
export function createReplyQuota (options: ReplyQuotaOptions): ReplyQuota {
  const { store, limits, now, logger } = options
  // A push's record is written in the background; a reply to that fan waits for it first, so a handler's
  // immediate ctx.api reply sees the window its own push opened, at no cost to the pushes' latency.
  const pending = new Map<string, Promise<void>>()
  const listeners = new Set<(refusal: ReplyRefusedError) => void>()

  function fail (operation: 'record' | 'take' | 'refund', fanId: string, error: unknown): void {
    options.onError?.(operation)
    logger.warn({ replyQuota: { operation, fanId, store: store.kind, error: error instanceof Error ? error.message : String(error) } },
      operation === 'take' ? 'reply quota store failed: sending the reply unchecked (Weibo will judge it)' : `reply quota ${operation} failed`)
  }

  /** Counts, announces and throws one local refusal. */
  function refuse (input: { reason: RefusalReason, fanId: string, detail: string }): never {
    options.onRefused?.(input.reason)
    const refusal = new ReplyRefusedError(input)
    for (const listener of listeners) listener(refusal)
    throw refusal
  }

  /**
   * A record on a store that waits (Redis): after the fan's earlier records, so they land in order; at once when the
   * fan has none pending (the usual push). Promise chains, not async functions: this runs for every push on Redis,
   * and each async layer cost a promise and a suspended frame (~3.2 KB allocated per push with the store's own,
   * bench/README.md, fourteenth session).
   */
  function recordInBackground (fanId: string, activity: FanActivity, at: number): Promise<void> {
    const update = (): Promise<undefined> => store.update(fanId, (state) => ({ state: recordActivity(state, activity, at, limits), result: undefined }))
    const previous = pending.get(fanId)
    const write = (previous === undefined ? update() : previous.then(update))
      .then(() => {}, (error: unknown) => { fail('record', fanId, error) })
    pending.set(fanId, write)
    return write.then(() => { if (pending.get(fanId) === write) pending.delete(fanId) })
  }

  return {
    limits,
    // Synchronous in memory (no promise per push); a promise with Redis, which never rejects.
    record (push) {
      const activity = activityOf(push)
      if (activity === undefined) return
      const fanId = push.sender_id
      const at = now()
      if (store.updateNow !== undefined) {
        store.updateNow(fanId, (state) => ({ state: recordActivity(state, activity, at, limits), result: undefined }))
        return
      }
      return recordInBackground(fanId, activity, at)
    },
    async take (fanId, count) {
      await pending.get(fanId)
      const at = now()
      try {
        const since = await store.trackingSince()
        const outcome = await store.update<TakeResult | { unknown: true }>(fanId, (state) => {
          if (state === undefined && at - since < limits.windowMs) return { result: { unknown: true as const } }
          const result = takeReplies(state, { fanId, count, at, limits })
          return result.allowed ? { state: result.state, result } : { result }
        })
        if ('unknown' in outcome) {
          logger.debug({ replyQuota: { fanId, count } }, 'reply to a fan not seen since tracking began: sent unchecked')
          return { fanId, taken: [], at }
        }
        if (outcome.allowed) return { fanId, taken: outcome.taken, at }
        return refuse({ reason: outcome.reason, fanId, detail: outcome.detail })
      } catch (error) {
        if (error instanceof ReplyRefusedError) throw error
        fail('take', fanId, error)
        return { fanId, taken: [], at }
      }
    },
    async checkFollower (fanId) {
      await pending.get(fanId)
      let unfollowed: boolean
      try {
        unfollowed = await store.update(fanId, (state) => ({ result: state?.followState === 'unfollowed' }))
      } catch (error) {
        fail('take', fanId, error)
        return
      }
      if (unfollowed) refuse({ reason: 'unfollowed', fanId, detail: `fan ${fanId} unfollowed; Weibo sends direct messages to followers only` })
    },
    onRefusal (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    async refund (ticket, unsent) {
      const giveBack = ticket.taken.slice(ticket.taken.length - Math.min(unsent, ticket.taken.length))
      if (giveBack.length === 0) return
      try {
        await store.update(ticket.fanId, (state) => ({ state: state === undefined ? undefined : refundReplies(state, giveBack, ticket.at), result: undefined }))
      } catch (error) {
        fail('refund', ticket.fanId, error)
      }
    }
  }
}

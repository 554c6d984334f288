import type { StreamRecord } from './stream-record.ts'

/** WEIBO_PUSH_BACKLOG: what to do with records Weibo replays from before this stream's position or start. */
export type BacklogPolicy = 'skip' | 'handle'

/** On a first start, a record written this long before the start still counts as new (clocks differ). */
const FIRST_START_GRACE_MS = 60_000

/**
 * When the record's status or comment was written, in epoch ms; undefined when it does not say. Weibo's
 * `created_at` ("Wed Apr 16 18:58:11 +0800 2014") is read by V8's Date.parse, which takes this form.
 */
export function recordTime (record: StreamRecord): number | undefined {
  const item = record.text[record.text.type] as { created_at?: unknown } | undefined
  if (typeof item?.created_at !== 'string') return undefined
  const time = Date.parse(item.created_at)
  return Number.isNaN(time) ? undefined : time
}

/**
 * Which records are backlog, not news. Weibo sends its latest 100 records when there is no `since_id` (a first
 * start) and, silently, when the `since_id` is older than three days or illegal. So:
 * - first start: records written before the stream started (a minute of grace) are the latest-100 backlog;
 * - resumed: records older than `maxAgeMs` (default three days, Weibo's retention) cannot be a replay after our
 *   position, and are taken for that fallback.
 * With `handle`, nothing is backlog. A record without a time is never backlog.
 */
export function createBacklogFilter (options: { policy: BacklogPolicy, firstStart: boolean, startedAt: number, maxAgeMs: number, now?: () => number }): (record: StreamRecord) => boolean {
  if (options.policy === 'handle') return () => false
  const now = options.now ?? Date.now
  return (record) => {
    const time = recordTime(record)
    if (time === undefined) return false
    const cutoff = options.firstStart ? options.startedAt - FIRST_START_GRACE_MS : now() - options.maxAgeMs
    return time < cutoff
  }
}

import type { FailedLateReply, OutboxCounts, RetryResult } from '../outbox/outbox-admin.ts'
import { out } from './print.ts'

function plural (count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

function when (ms: number | undefined): string {
  return ms === undefined ? 'at an unknown time' : new Date(ms).toISOString()
}

/** Two lines per job: what and when, then why (the stable code first, with Weibo's error_code and meaning). */
function failedLines (job: FailedLateReply): string[] {
  const who = [
    job.receiverId === '' ? undefined : `fan ${job.receiverId}`,
    job.account === '' ? undefined : `account ${job.account}`,
    job.handler === '' ? undefined : `handler ${job.handler}`
  ]
    .filter((part) => part !== undefined)
  return [
    `${job.id}  failed ${when(job.failedAt)} after ${plural(job.attemptsMade, 'attempt')}${who.length === 0 ? '' : `  ${who.join('  ')}`}`,
    `    ${job.reason === '' ? '(no reason recorded)' : job.reason}`
  ]
}

/** `outbox list`: the queue's counts, then the failed late replies, newest first (or all of it as JSON). */
export function reportFailed (input: { counts: OutboxCounts, failed: FailedLateReply[], json: boolean }): void {
  const { counts, failed } = input
  if (input.json) return out(JSON.stringify({ counts, failed }, null, 2))
  out(`outbox: ${counts.waiting} waiting, ${counts.active} active, ${counts.delayed} delayed (backing off), ` +
    `${counts.failed} failed, ${counts.completed} completed (kept 24 h)`)
  if (counts.failed === 0 && failed.length === 0) return out('no failed late replies')
  const shown = failed.length < counts.failed ? ` (the newest ${failed.length} of ${counts.failed}; --limit N for more)` : ''
  out(`failed late replies, newest first${shown}:`)
  for (const job of failed) for (const line of failedLines(job)) out(line)
  out('retry with: weibo-fanbot outbox retry <id…> (or --all) once the cause is fixed')
}

/** `outbox retry`: one line per job moved back, then the count. */
export function reportRetried (result: RetryResult, all: boolean): void {
  for (const id of result.retried) out(`retried ${id}`)
  if (result.retried.length === 0 && all) return out('no failed late replies to retry')
  const count = result.retried.length
  if (count > 0) out(`${count} late ${count === 1 ? 'reply' : 'replies'} queued again; the servers' outbox workers send them now`)
}

import type { RequeueResult, StreamDeadLetter } from '../push-stream/stream-dead-letter-store.ts'
import { out } from './print.ts'

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`

/** Two lines per record: which, when, how often, by which handler; then why (the stable code first). */
function entryLines (entry: StreamDeadLetter): string[] {
  const type = typeof entry.record.text?.type === 'string' ? `  ${entry.record.text.type}` : ''
  return [
    `${entry.id}  failed ${new Date(entry.failedAt).toISOString()} after ${plural(entry.attempts, 'attempt')}  handler ${entry.handler}${type}`,
    `    ${entry.code}: ${entry.message}`
  ]
}

/** `stream failed`: the dead-lettered records, newest first (or all of it as JSON). */
export function reportDeadLetters (input: { total: number, entries: StreamDeadLetter[], json: boolean }): void {
  const { total, entries } = input
  if (input.json) return out(JSON.stringify({ total, failed: entries }, null, 2))
  if (total === 0) return out('no failed push stream records')
  const shown = entries.length < total ? ` (the newest ${entries.length} of ${total}; --limit N for more)` : ''
  out(`failed push stream records, newest first${shown}:`)
  for (const entry of entries) for (const line of entryLines(entry)) out(line)
  out('replay with: weibo-fanbot stream retry <id…> (or --all) once the cause is fixed')
}

/** `stream retry`: one line per record queued for replay, then the count and who runs them. */
export function reportRequeued (result: RequeueResult, all: boolean): void {
  for (const id of result.requeued) out(`retried ${id}`)
  const count = result.requeued.length
  if (count === 0 && all) return out('no failed push stream records to retry')
  if (count > 0) {
    out(`${plural(count, 'record')} queued for replay; a running server holding the stream runs ${count === 1 ? 'its handler' : 'their handlers'} again within seconds`)
  }
}

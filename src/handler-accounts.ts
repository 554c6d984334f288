import { didYouMean } from './did-you-mean.ts'
import { FanbotError } from './errors.ts'
import type { AnyMessage } from './handler.ts'
import { isStreamMessage } from './push-stream/stream-message.ts'

/** A handler or middleware as loaded, as far as its `accounts` filter goes. */
interface Filtered {
  name: string
  file: string
  /** Undefined: every account. */
  accounts?: readonly string[] | undefined
}

/**
 * Whether a handler or middleware runs for this message: one without `accounts` runs for every account; one with
 * it only for pushes whose receiver_id it lists. A push stream record names no receiving account: it reaches only
 * handlers without the filter.
 */
export function servesAccount (item: Filtered, message: AnyMessage): boolean {
  if (item.accounts === undefined) return true
  if (isStreamMessage(message)) return false
  return item.accounts.includes(message.receiver_id)
}

/**
 * Checks every `accounts` filter against the server's accounts (the uids of WEIBO_ACCOUNTS_FILE): a uid not in it
 * is a typo that would silence the handler for good, so the start fails, with every problem and a did-you-mean.
 * Without a file the server has one account of unknown uid: the filters are taken as written.
 */
export function checkAccountFilters (items: readonly Filtered[], known: readonly string[] | undefined): void {
  if (known === undefined) return
  const problems: string[] = []
  for (const item of items) {
    for (const uid of item.accounts ?? []) {
      if (known.includes(uid)) continue
      const suggestion = didYouMean(uid, known)
      problems.push(`${item.file} (${item.name}): accounts lists ${uid}, which is not an account of WEIBO_ACCOUNTS_FILE` +
        `${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}; the accounts are ${known.join(', ')}`)
    }
  }
  if (problems.length === 0) return
  throw new FanbotError('WEIBO_ERR_HANDLER_INVALID', { detail: problems.length === 1 ? problems.join('') : `${problems.length} problems:\n  ${problems.join('\n  ')}` })
}

import type { Account, Accounts } from './accounts.ts'
import type { WeiboApiClient } from './weibo-api/client.ts'

/** Picks the API client of the account a push (or a queued late reply) is for. */
export interface AccountApis {
  /** The client of `receiverId`'s account; the first account's for a receiver not known (a stream record). */
  for: (receiverId: string | undefined) => WeiboApiClient
  /** Whether `receiverId` is an account of this server (always true for the single account). */
  knows: (receiverId: string) => boolean
  /** The first account's client: `fanbot.api`, the push stream's, and the one of the single-account set-up. */
  readonly default: WeiboApiClient
}

/** One client per account, built once at start (each with the account's token; never anything in Redis). */
export function createAccountApis (options: { accounts: Accounts, build: (account: Account) => WeiboApiClient }): AccountApis {
  const clients = new Map<Account, WeiboApiClient>(options.accounts.list.map((account) => [account, options.build(account)]))
  const [first] = clients.values()
  if (first === undefined) throw new TypeError('createAccountApis needs at least one account')
  return {
    for: (receiverId) => {
      const account = options.accounts.find(receiverId)
      return account === undefined ? first : clients.get(account) ?? first
    },
    knows: (receiverId) => options.accounts.find(receiverId) !== undefined,
    default: first
  }
}

/** The same client for every account: a dispatcher or sender built around one client (tests, older callers). */
export function oneApi (api: WeiboApiClient): AccountApis {
  return { for: () => api, knows: () => true, default: api }
}

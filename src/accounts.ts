import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { CALLBACK_PATH_PATTERN, type Config } from './config.ts'
import { didYouMean } from './did-you-mean.ts'
import { FanbotError } from './errors.ts'

/** The routes the server serves itself: a callback path there would be shadowed by (or shadow) them. */
const RESERVED_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

/**
 * One entry of WEIBO_ACCOUNTS_FILE. Strict: a mistyped key (`acessToken`) must not silently fall back to a default.
 * The uid is a quoted digit string: a JSON number past 2^53 would lose digits and never match a push's receiver_id.
 */
export const AccountEntrySchema = z.strictObject({
  uid: z.string({ error: 'must be the account\'s Weibo uid as a quoted digit string' }).regex(/^\d{1,20}$/, 'must be the account\'s Weibo uid: digits only'),
  accessToken: z.string({ error: 'is required: the fan-service access token of this account' }).min(1, 'must not be empty'),
  appSecret: z.string().min(1, 'must not be empty (leave the key out to use WEIBO_APP_SECRET)').optional(),
  callbackPath: z.string().regex(CALLBACK_PATH_PATTERN, 'must be a URL path starting with /')
    .refine((path) => !RESERVED_PATHS.has(path), 'is one of the server\'s own paths (/healthz, /readyz, /metrics)').optional()
})

export type AccountEntry = z.infer<typeof AccountEntrySchema>

/** A receiving account, its inherited values filled in. */
export interface Account {
  /** The Weibo uid, as in a push's `receiver_id`; undefined for the single account built from the environment. */
  uid: string | undefined
  accessToken: string | undefined
  /** Verifies the pushes of `callbackPath`; undefined = verification off (development only). */
  appSecret: string | undefined
  callbackPath: string
  /** The `account` label of the metrics: the uid, or `default` for the single account. */
  label: string
}

/** One callback path: the secret that verifies its pushes and the accounts whose pushes may arrive there. */
export interface CallbackEndpoint {
  path: string
  appSecret: string | undefined
  /** The uids accepted on this path; undefined for the single account, which takes every receiver_id. */
  uids: ReadonlySet<string> | undefined
}

export interface Accounts {
  readonly list: readonly Account[]
  /** In the order of the file: one per distinct callback path. */
  readonly endpoints: readonly CallbackEndpoint[]
  /** The account a push for `receiverId` belongs to; the single account takes every receiver. */
  find: (receiverId: string | undefined) => Account | undefined
  /** The account label for the metrics: bounded by the file (`unknown` for a receiver not in it). */
  labelOf: (receiverId: string | undefined) => string
}

/** The label of a push whose account is not known (refused before reading, or a receiver_id not in the file). */
export const UNKNOWN_ACCOUNT_LABEL = 'unknown'

function registry (list: readonly Account[]): Accounts {
  const byUid = new Map(list.map((account) => [account.uid, account]))
  const single = list.length === 1 && list[0]?.uid === undefined ? list[0] : undefined
  const endpoints = new Map<string, CallbackEndpoint & { uids: Set<string> | undefined }>()
  for (const account of list) {
    const endpoint = endpoints.get(account.callbackPath) ??
      { path: account.callbackPath, appSecret: account.appSecret, uids: account.uid === undefined ? undefined : new Set<string>() }
    if (account.uid !== undefined) endpoint.uids?.add(account.uid)
    endpoints.set(account.callbackPath, endpoint)
  }
  const find = (receiverId: string | undefined): Account | undefined => single ?? (receiverId === undefined ? undefined : byUid.get(receiverId))
  return {
    list,
    endpoints: [...endpoints.values()],
    find,
    labelOf: (receiverId) => find(receiverId)?.label ?? UNKNOWN_ACCOUNT_LABEL
  }
}

/** The one account of a server without WEIBO_ACCOUNTS_FILE, from the single-account variables, as before. */
export function singleAccount (config: Config): Accounts {
  return registry([{ uid: undefined, accessToken: config.accessToken, appSecret: config.appSecret, callbackPath: config.callbackPath, label: 'default' }])
}

const ENTRY_KEYS = Object.keys(AccountEntrySchema.shape)

/** One schema issue as a line, with where it is and, for a mistyped key, the key it probably meant. */
function issueLine (issue: z.core.$ZodIssue, index: number): string {
  const where = `[${index}]${issue.path.length === 0 ? '' : z.core.toDotPath(issue.path).replace(/^(?!\[)/, '.')}`
  if (issue.code !== 'unrecognized_keys') return `${issue.message} → at ${where}`
  return issue.keys.map((key) => {
    const suggestion = didYouMean(key, ENTRY_KEYS)
    return `unknown key "${key}"${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}; an account has only ${ENTRY_KEYS.join(', ')} → at ${where}`
  }).join('\n  ')
}

/** Problems the schema cannot see alone: duplicates, one path with two secrets, a secret required but missing. */
function crossCheck (entries: ReadonlyArray<{ entry: AccountEntry, index: number }>, config: Config): string[] {
  const problems: string[] = []
  const seen = new Map<string, number>()
  const secretOfPath = new Map<string, { secret: string | undefined, index: number }>()
  for (const { entry, index } of entries) {
    const first = seen.get(entry.uid)
    if (first !== undefined) problems.push(`duplicate uid ${entry.uid} (also at [${first}]) → at [${index}].uid`)
    else seen.set(entry.uid, index)
    const path = entry.callbackPath ?? config.callbackPath
    const secret = entry.appSecret ?? config.appSecret
    const shared = secretOfPath.get(path)
    // The signature is checked before the body (and its receiver_id) is read: one path, one secret.
    if (shared !== undefined && shared.secret !== secret) {
      problems.push(`duplicate callbackPath ${path} with another app secret than [${shared.index}] (accounts may share a path only with the same secret) → at [${index}].callbackPath`)
    } else if (shared === undefined) secretOfPath.set(path, { secret, index })
    if (secret === undefined && config.appSecretRequired) {
      problems.push(`no app secret (neither appSecret nor WEIBO_APP_SECRET) where one is required (production, or --require-app-secret) → at [${index}].appSecret`)
    }
  }
  return problems
}

/**
 * Validates the accounts of a file (or given in code: tests, the test kit). An entry without `appSecret` uses
 * WEIBO_APP_SECRET, one without `callbackPath` uses CALLBACK_PATH. Every problem of every entry is reported at
 * once, in one WEIBO_ERR_ACCOUNTS_INVALID error.
 */
export function accountsFromEntries (entries: unknown, config: Config, source = 'accounts'): Accounts {
  const problems: string[] = []
  const valid: Array<{ entry: AccountEntry, index: number }> = []
  if (!Array.isArray(entries) || entries.length === 0) {
    problems.push('must be a JSON array listing at least one account ({ "uid": "…", "accessToken": "…" })')
  } else {
    entries.forEach((item: unknown, index) => {
      const parsed = AccountEntrySchema.safeParse(item)
      if (parsed.success) valid.push({ entry: parsed.data, index })
      else problems.push(...parsed.error.issues.map((issue) => issueLine(issue, index)))
    })
  }
  // The entries that parsed are checked against each other too: a fix-and-restart loop should not reveal more.
  problems.push(...crossCheck(valid, config))
  if (problems.length > 0) {
    const count = problems.join('\n').split('\n').length
    throw new FanbotError('WEIBO_ERR_ACCOUNTS_INVALID', { detail: `${source}: ${count} problem${count === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}` })
  }
  return registry(valid.map(({ entry }) => ({
    uid: entry.uid,
    accessToken: entry.accessToken,
    appSecret: entry.appSecret ?? config.appSecret,
    callbackPath: entry.callbackPath ?? config.callbackPath,
    label: entry.uid
  })))
}

/** The server's accounts: WEIBO_ACCOUNTS_FILE read and validated, or the single account of the environment. */
export async function loadAccounts (config: Config): Promise<Accounts> {
  const file = config.accountsFile
  if (file === undefined) return singleAccount(config)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new FanbotError('WEIBO_ERR_ACCOUNTS_INVALID', { detail: `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, cause: error })
  }
  let entries: unknown
  try {
    entries = JSON.parse(text)
  } catch (error) {
    throw new FanbotError('WEIBO_ERR_ACCOUNTS_INVALID', { detail: `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, cause: error })
  }
  return accountsFromEntries(entries, config, file)
}

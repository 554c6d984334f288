import { pino } from 'pino'
import { loadConfig, type Config, type Environment } from '../config.ts'
import { connectRedisOnce } from '../storage/redis-connection.ts'
import { createOutboxQueue, type OutboxQueue } from '../outbox/outbox-queue.ts'
import { LIST_AND_RETRY_OPTIONS, limitOption, noMorePositionals, parseCommandArgs, requireOneOf } from './args.ts'
import { failure, usageError } from './cli-error.ts'
import { printHelp } from './help.ts'
import { reportFailed, reportRetried } from './outbox-report.ts'

const OPTIONS = LIST_AND_RETRY_OPTIONS

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values']

const SUBCOMMANDS = ['list', 'retry'] as const

/** An option the subcommand does not use is refused rather than ignored: the user expected it to matter. */
function refuse (values: Values, names: ReadonlyArray<keyof Values>, subcommand: string): void {
  for (const name of names) {
    if (values[name] !== undefined) throw usageError(`--${String(name)} does not apply to outbox ${subcommand}`)
  }
}

/** The outbox the servers of this environment use: REDIS_URL and REDIS_KEY_PREFIX, as they read them. */
async function openQueue (config: Config): Promise<OutboxQueue> {
  if (config.redisUrl === undefined) {
    throw usageError('REDIS_URL is not set: the outbox lives in Redis; set it (and REDIS_KEY_PREFIX) as the servers have them')
  }
  const connection = await connectRedisOnce({ url: config.redisUrl, name: 'weibo-fanbot-cli', code: 'WEIBO_ERR_OUTBOX_UNAVAILABLE' })
  return createOutboxQueue({
    connection,
    prefix: config.redisKeyPrefix,
    attempts: config.outboxAttempts,
    backoffMs: config.outboxBackoffMs,
    logger: pino({ level: 'silent' })
  })
}

async function list (queue: OutboxQueue, values: Values): Promise<void> {
  const limit = limitOption(values.limit)
  const [counts, failed] = await Promise.all([queue.counts(), queue.listFailed({ limit })])
  reportFailed({ counts, failed, json: values.json === true })
}

async function retry (queue: OutboxQueue, ids: readonly string[] | 'all'): Promise<void> {
  const result = await queue.retryFailed(ids)
  reportRetried(result, ids === 'all')
  if (result.notFailed.length > 0) {
    throw failure(`not in the failed set: ${result.notFailed.join(', ')} (weibo-fanbot outbox list shows the ids)`)
  }
}

/**
 * `weibo-fanbot outbox list|retry`: the operator's view of the durable outbox of late replies (with REDIS_URL).
 * `list` shows the failed set (replies Weibo refused for good, or that ran out of attempts); `retry` moves some or
 * all of them back to the queue once the cause is fixed, for the servers' workers to send.
 */
export async function outbox (args: readonly string[], env: Environment): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS)
  if (values.help === true) return printHelp('outbox')
  const [name, ...rest] = positionals
  if (name === undefined) throw usageError('missing the subcommand: list or retry')
  const subcommand = requireOneOf('outbox subcommand', name, SUBCOMMANDS)
  let ids: readonly string[] | 'all' = 'all'
  if (subcommand === 'list') {
    noMorePositionals(rest, 0, 'outbox list takes options only')
    refuse(values, ['all'], 'list')
    limitOption(values.limit)
  } else {
    refuse(values, ['limit', 'json'], 'retry')
    if (values.all === true && rest.length > 0) throw usageError('give job ids or --all, not both')
    if (values.all !== true && rest.length === 0) throw usageError('missing the job ids to retry (or --all); weibo-fanbot outbox list shows them')
    if (values.all !== true) ids = rest
  }

  const queue = await openQueue(loadConfig(env))
  try {
    if (subcommand === 'list') await list(queue, values)
    else await retry(queue, ids)
  } finally {
    await queue.close()
  }
}

import { loadConfig, type Environment } from '../config.ts'
import { connectRedisOnce } from '../storage/redis-connection.ts'
import { createRedisStreamDeadLetters } from '../push-stream/redis-stream-dead-letter-store.ts'
import type { StreamDeadLetterStore } from '../push-stream/stream-dead-letter-store.ts'
import { LIST_AND_RETRY_OPTIONS, limitOption, noMorePositionals, parseCommandArgs, requireOneOf } from './args.ts'
import { failure, usageError } from './cli-error.ts'
import { printHelp } from './help.ts'
import { reportDeadLetters, reportRequeued } from './stream-report.ts'

const OPTIONS = LIST_AND_RETRY_OPTIONS

const SUBCOMMANDS = ['failed', 'retry'] as const

/**
 * `weibo-fanbot stream failed|retry`: the operator's view of the push stream records whose handler failed for good.
 * `retry` does not run handlers itself: it moves the records to a replay queue in Redis that the running servers
 * take from (stream-replay.ts). So a replay runs where the handlers always run (with the server's token, API
 * budget, logs and metrics), and the CLI needs neither the handlers nor the Weibo settings. Without a running
 * server holding the stream, replays wait in the queue (kept as long as the dead-letter list).
 */
export async function stream (args: readonly string[], env: Environment): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS)
  if (values.help === true) return printHelp('stream')
  const [name, ...rest] = positionals
  if (name === undefined) throw usageError('missing the subcommand: failed or retry')
  const subcommand = requireOneOf('stream subcommand', name, SUBCOMMANDS)
  let limit = 0
  if (subcommand === 'failed') {
    noMorePositionals(rest, 0, 'stream failed takes options only')
    if (values.all !== undefined) throw usageError('--all does not apply to stream failed')
    limit = limitOption(values.limit)
  } else {
    for (const option of ['limit', 'json'] as const) {
      if (values[option] !== undefined) throw usageError(`--${option} does not apply to stream retry`)
    }
    if (values.all === true && rest.length > 0) throw usageError('give record ids or --all, not both')
    if (values.all !== true && rest.length === 0) throw usageError('missing the record ids to retry (or --all); weibo-fanbot stream failed shows them')
  }

  const config = loadConfig(env)
  if (config.redisUrl === undefined) {
    throw usageError('REDIS_URL is not set: without Redis, a server\'s dead-letter list lives only in that server\'s memory (its log names each record); set REDIS_URL and REDIS_KEY_PREFIX as the servers have them')
  }
  const redis = await connectRedisOnce({ url: config.redisUrl, name: 'weibo-fanbot-cli', code: 'WEIBO_ERR_STREAM_DEAD_LETTERS_UNAVAILABLE' })
  const store: StreamDeadLetterStore = createRedisStreamDeadLetters({
    redis,
    prefix: config.redisKeyPrefix,
    ...(config.pushStream === undefined ? {} : { max: config.pushStream.deadLetterMax, ttlMs: config.pushStream.deadLetterTtlMs })
  })
  try {
    if (subcommand === 'failed') {
      reportDeadLetters({ ...await store.list({ limit }), json: values.json === true })
      return
    }
    const all = values.all === true
    const result = await store.requeue(all ? 'all' : rest)
    reportRequeued(result, all)
    if (result.missing.length > 0) {
      throw failure(`not in the dead-letter list: ${result.missing.join(', ')} (weibo-fanbot stream failed shows the ids)`)
    }
  } finally {
    redis.disconnect()
  }
}

import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { ReplyQuota } from '../reply-quota/reply-quota.ts'
import { createWeiboApiClient, type WeiboApiClient } from './client.ts'
import { createWeiboHttp, type WeiboHttpOptions } from './http.ts'
import type { WeiboRateLimiter } from './rate-limiter.ts'

export interface ApiClientFromConfigOptions {
  /** Reads the token, the hosts, the timeouts and retries, and the reply endpoint and sent-box setting. */
  config: Config
  logger: Logger
  /** The reply tracker, checked before every `messages.reply` (omitted: Weibo alone judges replies). */
  quota?: ReplyQuota | undefined
  /** Told of every HTTP attempt (for `weibo_fanbot_api_calls_total`). */
  onAttempt?: WeiboHttpOptions['onAttempt'] | undefined
  /** The process's commercial (c.api) budget: every client of one process must share it. */
  commercialLimiter?: WeiboRateLimiter | undefined
  /**
   * Retries inside the client; API_MAX_RETRIES by default. The outbox worker passes 0: a job retried inside the
   * client and again by BullMQ would multiply the attempts and the waits.
   */
  maxRetries?: number
  /** The account's token (several accounts); WEIBO_ACCESS_TOKEN when the key is absent. */
  accessToken?: string | undefined
}

/** The Weibo API client as the config describes it: the one place a server's clients are built. */
export function createWeiboApiClientFromConfig (options: ApiClientFromConfigOptions): WeiboApiClient {
  const { config } = options
  return createWeiboApiClient({
    http: createWeiboHttp({
      baseUrl: config.apiBaseUrl,
      accessToken: 'accessToken' in options ? options.accessToken : config.accessToken,
      timeoutMs: config.apiTimeoutMs,
      maxRetries: options.maxRetries ?? config.apiMaxRetries,
      retryMinMs: config.apiRetryMinMs,
      logger: options.logger,
      ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
      ...(options.commercialLimiter === undefined ? {} : { commercialLimiter: options.commercialLimiter })
    }),
    saveSenderBox: config.replySaveSenderBox,
    replyEndpoint: config.replyEndpoint,
    quota: options.quota,
    commercialBaseUrl: config.commercialApiBaseUrl,
    uploadBaseUrl: config.uploadApiBaseUrl,
    openBaseUrl: config.openApiBaseUrl
  })
}

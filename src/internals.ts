/**
 * `weibo-fanbot/internals`: the parts below the public API that the framework's own tests, the CLI and advanced
 * embedders reach for. No stability promise: names here may change in any release. Handler authors never need it.
 */
export { ConfigSchema, CONFIG_KEYS } from './config.ts'
export { loadHandlers, isHandlerFile } from './handler-loader.ts'
export { replyParts, validateReply, type ValidReply } from './reply.ts'
export { passiveReplyBody, replyPayload } from './reply-encoding.ts'
export { computeSignature, verifySignature } from './signature.ts'
export { createMemoryDedupStore } from './dedup/memory-dedup-store.ts'
export { DEFAULT_REPLY_LIMITS, type ReplyLimits } from './reply-quota/fan-quota.ts'
export { createWeiboApiClient, type WeiboApiClientOptions } from './weibo-api/client.ts'
export { createWeiboApiClientFromConfig } from './weibo-api/client-from-config.ts'
export { createWeiboHttp, type WeiboHttp, type WeiboHttpOptions, type WeiboRequest } from './weibo-api/http.ts'
export { createCommercialLimiter, COMMERCIAL_REQUESTS_PER_HOUR, type WeiboRateLimiter } from './weibo-api/rate-limiter.ts'
export { validateMenu } from './weibo-api/menu.ts'

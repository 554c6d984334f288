/** The public API of weibo-fanbot, for handler modules, scripts and tests. */
export { buildApp, type BuildAppOptions, type Fanbot } from './app.ts'
export { loadConfig, ConfigSchema, CONFIG_KEYS, type Config, type Environment } from './config.ts'
export { ERRORS, FanbotError, isFanbotError, type ErrorCode } from './errors.ts'
export { defineHandler, type Handler, type HandlerContext, type HandlerResult, type MessageFor, type Trigger } from './handler.ts'
export { loadHandlers, isHandlerFile } from './handler-loader.ts'
export { createLogger, type Logger } from './logger.ts'
export type {
  EventMessage, EventSubtype, ImageMessage, MentionMessage, MentionSubtype, Message, MessageType, PositionMessage, TextMessage, VoiceMessage
} from './message-schema.ts'
export { articles, position, text, validateReply, type Article, type Reply, type ValidReply } from './reply.ts'
export { passiveReplyBody, replyPayload } from './reply-encoding.ts'
export { computeSignature, verifySignature } from './signature.ts'
export { createMemoryDedupStore, type DedupStore, type Claim } from './dedup-store.ts'
export { WeiboApiError } from './weibo-api-error.ts'
export { WEIBO_ERROR_CODES, describeWeiboErrorCode } from './weibo-error-codes.ts'
export type { WeiboApiClient } from './weibo-api-client.ts'

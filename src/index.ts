/**
 * The public API of weibo-fanbot (`import … from 'weibo-fanbot'`). Grouped by who uses it; everything else is
 * internal and may change. Tests of handlers use `weibo-fanbot/testing`; the framework's own tests and tools that
 * need the parts below the API use `weibo-fanbot/internals` (no stability promise). docs/api.md lists the same groups.
 */

// For handler authors: defining a handler, the messages it receives, and the replies it returns.
export { defineHandler, type AnyMessage, type Handler, type HandlerContext, type HandlerResult, type MatchContext, type MessageFor, type Trigger } from './handler.ts'
export { defineMiddleware, type Middleware, type NextFunction } from './middleware.ts'
export { conversation, CONVERSATION_KEY, type ConversationControl, type ConversationOptions, type ConversationRecord, type Step, type StepContext } from './conversation.ts'
export type { SessionData } from './session/session-store.ts'
export type {
  EventMessage, EventSubtype, ImageMessage, MentionMessage, MentionSubtype, Message, MessageType, PositionMessage, TextMessage, VoiceMessage
} from './message-schema.ts'
export type { CommentStreamMessage, StatusStreamMessage, StreamMessage, StreamType } from './push-stream/stream-message.ts'
export type { StreamRecord } from './push-stream/stream-record.ts'
export { articles, position, text, MAX_SPLIT_PARTS, MAX_TEXT_LENGTH, type Article, type Reply } from './reply.ts'
export { splitText, codePointLength } from './text-split.ts'

// For handler authors calling Weibo through `ctx.api`: its types and the errors it throws.
export type { WeiboApiClient, SendReplyInput } from './weibo-api/client.ts'
export type { DirectMessage, SendDirectMessageInput } from './weibo-api/direct-messages.ts'
export type { DownloadedMedia } from './weibo-api/media.ts'
export type { Menu, ShownMenu } from './weibo-api/menu.ts'
export type { UserInfo } from './weibo-api/users.ts'
export type { SendAllInput, SendAllResult } from './weibo-api/send-all.ts'
export type { CreateQrcodeInput, Qrcode } from './weibo-api/qrcode.ts'
export { WeiboApiError } from './weibo-api/api-error.ts'
export { WEIBO_ERROR_CODES, describeWeiboErrorCode } from './weibo-api/error-codes.ts'
export { ReplyRefusedError } from './reply-quota/reply-refused-error.ts'
export type { RefusalReason } from './reply-quota/fan-quota.ts'

// Errors: every error the framework raises carries a stable code from this registry.
export { ERRORS, FanbotError, isFanbotError, type ErrorCode } from './errors.ts'

// For embedders running the server from their own code instead of the CLI.
export { buildApp, type BuildAppOptions, type Fanbot } from './app.ts'
export { loadConfig, type Config, type Environment } from './config.ts'
export { createLogger, type Logger } from './logger.ts'
export type { DedupStore, Claim } from './dedup/dedup-store.ts'

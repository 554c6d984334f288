/**
 * The one registry of weibo-fanbot's errors. Every error we raise carries a stable `code` from this table;
 * callers switch on `code`, never on message text. `status` is the HTTP status a client sees when the error
 * ends a request; `message` is the short text a client (or an operator reading the log) sees, saying how to fix it.
 */
export const ERRORS = {
  WEIBO_ERR_CONFIG_INVALID: {
    status: 500,
    message: 'Configuration is invalid: fix the environment variables listed and start again'
  },
  WEIBO_ERR_ACCOUNTS_INVALID: {
    status: 500,
    message: 'The accounts file (WEIBO_ACCOUNTS_FILE) is invalid: fix every problem listed and start again'
  },
  // Never ends a request: the push is answered blank 200 (Weibo must not retry it); 404 says what it is.
  WEIBO_ERR_ACCOUNT_UNKNOWN: {
    status: 404,
    message: 'A signed push names a receiver_id that is not an account of its callback path: answered blank (Weibo must not retry) and not handled'
  },
  WEIBO_ERR_STORE_UNAVAILABLE: {
    status: 503,
    message: 'Redis cannot be reached: check REDIS_URL, or set REDIS_OPTIONAL=true to start this replica alone in memory'
  },
  WEIBO_ERR_SIGNATURE_MISSING: {
    status: 401,
    message: 'Missing signature, timestamp or nonce query parameter: Weibo signs every request'
  },
  WEIBO_ERR_SIGNATURE_INVALID: {
    status: 401,
    message: 'Signature does not match: check that WEIBO_APP_SECRET is the app secret of the bound app key'
  },
  WEIBO_ERR_SIGNATURE_EXPIRED: {
    status: 401,
    message: 'Signed timestamp is outside SIGNATURE_MAX_AGE_MS: check the server clock, or raise or disable the limit'
  },
  WEIBO_ERR_SIGNATURE_REPLAYED: {
    status: 401,
    message: 'This signed query was already used with a different body: a replay of a leaked callback URL, refused'
  },
  WEIBO_ERR_METRICS_UNAUTHORIZED: {
    status: 401,
    message: 'Metrics need Authorization: Bearer <METRICS_TOKEN>'
  },
  WEIBO_ERR_METRICS_NOT_PUBLIC: {
    status: 403,
    message: 'Metrics are not served on the public port in production: set METRICS_TOKEN, or METRICS_PORT to serve them on a private port'
  },
  WEIBO_ERR_SERVER_OVERLOADED: {
    status: 503,
    message: 'Server overloaded (event loop delay over OVERLOAD_MAX_EVENT_LOOP_DELAY_MS): try again shortly'
  },
  WEIBO_ERR_VERIFY_ECHOSTR_MISSING: {
    status: 400,
    message: 'URL verification needs an echostr query parameter'
  },
  WEIBO_ERR_PUSH_MALFORMED_JSON: {
    status: 400,
    message: 'Push body is not valid JSON'
  },
  WEIBO_ERR_PUSH_INVALID: {
    status: 400,
    message: 'Push does not match the Weibo message format'
  },
  WEIBO_ERR_PUSH_TOO_DEEP: {
    status: 400,
    message: 'Push body nests arrays or objects deeper than any Weibo push'
  },
  WEIBO_ERR_NOT_FOUND: {
    status: 404,
    message: 'No such route: Weibo calls CALLBACK_PATH; /healthz, /readyz and /metrics are the others'
  },
  WEIBO_ERR_REQUEST_INVALID: {
    status: 400,
    message: 'Malformed request: URL, Content-Length or body framing'
  },
  WEIBO_ERR_PUSH_TOO_LARGE: {
    status: 413,
    message: 'Push body is larger than BODY_LIMIT_BYTES'
  },
  WEIBO_ERR_HANDLER_DIR_MISSING: {
    status: 500,
    message: 'HANDLERS_DIR does not exist or is not a folder'
  },
  WEIBO_ERR_HANDLER_IMPORT_FAILED: {
    status: 500,
    message: 'A handler module could not be imported: fix the syntax or import error in the file named'
  },
  WEIBO_ERR_HANDLER_INVALID: {
    status: 500,
    message: 'A handler module does not default-export a valid handler (or array of handlers)'
  },
  WEIBO_ERR_HANDLER_THREW: {
    status: 500,
    message: 'A handler threw while handling a push; the fan got no reply'
  },
  WEIBO_ERR_HANDLER_TIMEOUT: {
    status: 500,
    message: 'A handler ran past HANDLER_TIMEOUT_MS (or past shutdown) and was abandoned; the fan got no reply'
  },
  WEIBO_ERR_MIDDLEWARE_THREW: {
    status: 500,
    message: 'A middleware threw while handling a push; the fan got no reply'
  },
  WEIBO_ERR_SESSION_UNAVAILABLE: {
    status: 503,
    message: 'The session store could not be read or written: the push ran with an empty session, or its session change was not saved'
  },
  WEIBO_ERR_SESSION_UNDECLARED: {
    status: 500,
    message: 'ctx.session was used by a handler or middleware that does not declare `session: true`; add it to the module, so its pushes load the fan\'s session and take his turn'
  },
  WEIBO_ERR_SESSION_CONFLICT: {
    status: 409,
    message: 'Another run saved this fan\'s session first; this run\'s session change was dropped'
  },
  WEIBO_ERR_REPLY_INVALID: {
    status: 500,
    message: 'A handler returned a reply Weibo would reject; nothing was sent'
  },
  WEIBO_ERR_API_TOKEN_MISSING: {
    status: 500,
    message: 'WEIBO_ACCESS_TOKEN is not set: the Weibo API cannot be called'
  },
  WEIBO_ERR_API_NETWORK: {
    status: 502,
    message: 'Could not reach the Weibo API'
  },
  WEIBO_ERR_API_TIMEOUT: {
    status: 504,
    message: 'The Weibo API did not answer within WEIBO_API_TIMEOUT_MS'
  },
  WEIBO_ERR_API_HTTP: {
    status: 502,
    message: 'The Weibo API answered with an HTTP error and no Weibo error body'
  },
  WEIBO_ERR_API_BAD_RESPONSE: {
    status: 502,
    message: 'The Weibo API answered with a body that is not JSON, or not the shape this method expects'
  },
  WEIBO_ERR_SERVER_INTERNAL: {
    status: 500,
    message: 'Internal error: the details are in the server log'
  },
  WEIBO_ERR_API_REJECTED: {
    status: 502,
    message: 'The Weibo API refused the request: see errorCode and the table of Weibo error codes'
  },
  WEIBO_ERR_API_INVALID_REQUEST: {
    status: 500,
    message: 'A Weibo API call was refused before sending: its arguments break a documented Weibo rule; fix them'
  },
  WEIBO_ERR_API_MEDIA_TOO_LARGE: {
    status: 502,
    message: 'A media file from the Weibo API is larger than the download limit; nothing was kept'
  },
  WEIBO_ERR_QUOTA_WINDOW_CLOSED: {
    status: 403,
    message: "Reply refused locally: the fan's 48-hour reply window is closed (no message or event from them in REPLY_WINDOW_MS); it opens again when they write"
  },
  WEIBO_ERR_QUOTA_EXHAUSTED: {
    status: 403,
    message: "Reply refused locally: the replies this fan's window allows (REPLY_QUOTA_PER_WINDOW) are used; the quota renews when they write again"
  },
  WEIBO_ERR_QUOTA_MENTION_USED: {
    status: 403,
    message: 'Reply refused locally: the reply a mention allows (REPLY_QUOTA_PER_MENTION) was already sent'
  },
  WEIBO_ERR_QUOTA_UNFOLLOWED: {
    status: 403,
    message: 'Reply refused locally: the fan unfollowed the account; no reply until they follow or write again'
  },
  WEIBO_ERR_STREAM_IP_LIMITED: {
    status: 502,
    message: "Weibo refused the commercial push stream with \"Ip is limited\": add this server's public IP to the subscription's IP list"
  },
  WEIBO_ERR_STREAM_HTTP: {
    status: 502,
    message: 'The commercial push stream answered with an error instead of records; reconnecting with backoff'
  },
  WEIBO_ERR_STREAM_RECORD_INVALID: {
    status: 502,
    message: 'A record of the commercial push stream is not JSON or not the documented shape; it was skipped'
  },
  WEIBO_ERR_STREAM_BACKLOG_SKIPPED: {
    status: 410,
    message: 'The push stream replays records from before its position or start (Weibo sends its latest 100 without a valid since_id); they are skipped unless WEIBO_PUSH_BACKLOG=handle'
  },
  WEIBO_ERR_STREAM_CONNECT_BUDGET: {
    status: 503,
    message: 'The push stream opened WEIBO_PUSH_CONNECTS_PER_HOUR connections in the last hour; the next connection waits for the budget'
  },
  WEIBO_ERR_STREAM_HANDLER_FAILED: {
    status: 500,
    message: 'A push stream record\'s handler failed for good (a permanent failure, or WEIBO_PUSH_HANDLER_ATTEMPTS transient ones); the record is in the dead-letter list: weibo-fanbot stream failed, then stream retry'
  },
  WEIBO_ERR_STREAM_DEAD_LETTERS_UNAVAILABLE: {
    status: 503,
    message: 'The push stream\'s dead-letter list (Redis) cannot be reached: check REDIS_URL and that Redis is running'
  },
  WEIBO_ERR_STREAM_SINCE_ID_UNWRITABLE: {
    status: 500,
    message: 'The push stream position (since_id) could not be saved: check WEIBO_PUSH_SINCE_ID_FILE is writable, or Redis'
  },
  WEIBO_ERR_OUTBOX_UNAVAILABLE: {
    status: 503,
    message: 'The late-reply outbox (Redis) cannot be reached: check REDIS_URL and that Redis is running'
  },
  WEIBO_ERR_OUTBOX_JOB_INVALID: {
    status: 500,
    message: 'An outbox job does not hold a late reply this version can send; it went to the failed set'
  },
  WEIBO_ERR_OUTBOX_PART_BUSY: {
    status: 503,
    message: 'Another worker is sending this part of the late reply now; the job tries again after its backoff'
  }
} as const satisfies Record<string, { status: number, message: string }>

export type ErrorCode = keyof typeof ERRORS

export interface FanbotErrorOptions {
  /** Extra facts about this occurrence, appended to the registry message. */
  detail?: string
  cause?: unknown
}

export class FanbotError extends Error {
  override readonly name: string = 'FanbotError'
  readonly code: ErrorCode
  /** HTTP status for a client when this error ends a request. */
  readonly statusCode: number

  constructor (code: ErrorCode, options: FanbotErrorOptions = {}) {
    const spec = ERRORS[code]
    super(options.detail === undefined ? spec.message : `${spec.message}: ${options.detail}`,
      options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.statusCode = spec.status
  }
}

export function isFanbotError (error: unknown, code?: ErrorCode): error is FanbotError {
  return error instanceof FanbotError && (code === undefined || error.code === code)
}

/**
 * This occurrence's facts alone, without the registry text in front (a message is `registry text: detail`), for
 * one-line reports that already show the code. Undefined when the error was raised without detail.
 */
export function detailOf (error: FanbotError): string | undefined {
  const prefix = `${ERRORS[error.code].message}: `
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : undefined
}

/**
 * Weibo API error codes we know (from Weibo's error table and the fan-service pages), what they mean, and whether
 * the same request may succeed if sent again. Codes not listed are treated as permanent: a retry would be refused
 * the same way, and an unknown refusal is safer left unsent than sent twice.
 */
export interface WeiboErrorCodeInfo {
  meaning: string
  /** Sending the same request again later may succeed. */
  retryable: boolean
  /** The access token is dead: the account owner must bind the callback URL again to get a new one. */
  rebind?: boolean
}

export const WEIBO_ERROR_CODES: Readonly<Record<number, WeiboErrorCodeInfo>> = {
  10001: { meaning: 'system error', retryable: true },
  10002: { meaning: 'service unavailable', retryable: true },
  10003: { meaning: 'remote service error', retryable: true },
  10004: { meaning: 'IP limit: this IP may not call the resource', retryable: false },
  10006: { meaning: 'source (app key) parameter missing', retryable: false },
  10007: { meaning: 'unsupported media type (the body must be a form)', retryable: false },
  10008: { meaning: 'parameter error', retryable: false },
  10014: { meaning: 'app lacks the permission for this API (fan service or commercial API not granted)', retryable: false },
  10016: { meaning: 'required parameter missing', retryable: false },
  10017: { meaning: 'parameter value invalid', retryable: false },
  10018: { meaning: 'request body too large', retryable: false },
  10020: { meaning: 'API does not exist', retryable: false },
  10021: { meaning: 'HTTP method not supported by this API', retryable: false },
  10022: { meaning: 'IP requests out of rate limit', retryable: true },
  10023: { meaning: 'user requests out of rate limit', retryable: true },
  10024: { meaning: 'user requests for this API out of rate limit', retryable: true },
  20003: { meaning: 'user does not exist', retryable: false },
  20008: { meaning: 'content is empty', retryable: false },
  20013: { meaning: 'text is longer than 300 characters', retryable: false },
  20016: { meaning: 'posting too often', retryable: false },
  20017: { meaning: 'content too similar to a recent one', retryable: false },
  20019: { meaning: 'content identical to a recent one', retryable: false },
  20301: { meaning: 'cannot message a user who does not follow the account', retryable: false },
  20305: { meaning: 'direct message does not exist', retryable: false },
  20306: { meaning: 'repeated direct message text', retryable: false },
  20307: { meaning: 'illegal direct message id', retryable: false },
  21301: { meaning: 'authentication failed', retryable: false, rebind: true },
  21314: { meaning: 'token already used', retryable: false, rebind: true },
  21315: { meaning: 'token expired', retryable: false, rebind: true },
  21316: { meaning: 'token revoked', retryable: false, rebind: true },
  21317: { meaning: 'token rejected', retryable: false, rebind: true },
  21319: { meaning: 'authorization revoked by the user', retryable: false, rebind: true },
  21327: { meaning: 'expired_token: the fan-service token expired (they last about a year)', retryable: false, rebind: true },
  21332: { meaning: 'invalid access token', retryable: false, rebind: true },
  21337: { meaning: 'app key permission denied', retryable: false },
  21602: { meaning: 'content contains a forbidden word', retryable: false }
}

export function describeWeiboErrorCode (code: number): WeiboErrorCodeInfo {
  return WEIBO_ERROR_CODES[code] ?? { meaning: 'unknown Weibo error', retryable: false }
}

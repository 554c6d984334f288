/**
 * Every refusal the fake Weibo API can answer, in one table: Weibo's `error_code`, the HTTP status and the `error`
 * text. Codes come from Weibo's published error table (protocol §4.5) wherever it has one; Weibo documents no code
 * for the reply window or the 99-reply quota (protocol §12), so those are our choice, explained beside them. Tests
 * and the simulator switch on the name or on `errorCode`, never on the text.
 */
export const FAKE_API_ERRORS = {
  TOKEN_MISSING: { errorCode: 21301, status: 401, error: 'auth faild: no access_token, send it as a form field or query parameter' },
  TOKEN_INVALID: { errorCode: 21332, status: 401, error: 'invalid_access_token' },
  // Only raised by the `expired-token` fault: the fake's own token never expires.
  TOKEN_EXPIRED: { errorCode: 21327, status: 401, error: 'expired_token' },
  // Weibo's "Unsupport mediatype (%s)": the fan-service write APIs read form fields only.
  UNSUPPORTED_MEDIA_TYPE: { errorCode: 10007, status: 400, error: 'unsupport mediatype: send the parameters as application/x-www-form-urlencoded' },
  PARAM_MISSING: { errorCode: 10016, status: 400, error: 'miss required parameter' },
  PARAM_INVALID: { errorCode: 10017, status: 400, error: 'parameter value invalid' },
  // `data` that is not the JSON payload of its `type` (not JSON, encoded twice, wrong shape, 0 or 9 articles…).
  DATA_INVALID: { errorCode: 10008, status: 400, error: 'param error' },
  BODY_TOO_LARGE: { errorCode: 10018, status: 413, error: 'request body length over limit' },
  // Weibo's "Content is null".
  TEXT_EMPTY: { errorCode: 20008, status: 400, error: 'content is null: the text is empty' },
  TEXT_TOO_LONG: { errorCode: 20013, status: 400, error: 'text too long, please input text less than 300 characters' },
  USER_NOT_FOUND: { errorCode: 20003, status: 400, error: 'user does not exists' },
  NOT_FOLLOWER: { errorCode: 20301, status: 403, error: "can't send direct message to user who is not your follower" },
  // Our choice: 20301 is Weibo's "not your follower" refusal, the nearest documented meaning to "this fan cannot
  // receive an active message from you now". A client cannot make it succeed by retrying, which is the point.
  REPLY_WINDOW_CLOSED: { errorCode: 20301, status: 403, error: "can't reply: the fan's reply window is closed" },
  FAN_UNFOLLOWED: { errorCode: 20301, status: 403, error: "can't reply: the fan has unfollowed the account" },
  // Our choice: Weibo documents no quota code. 20016 ("posting too often") is a count-based refusal that clients do not
  // retry, which fits: sending again inside the same window cannot succeed. (10024 is a rate limit, worth retrying.)
  REPLY_QUOTA_EXHAUSTED: { errorCode: 20016, status: 403, error: 'posting too often: the reply quota for this fan in this 48-hour window is used up' },
  MENTION_REPLY_USED: { errorCode: 20016, status: 403, error: 'posting too often: the one reply a mention allows was already sent' },
  // Our choice for msget: a media file belongs to a direct message, and 20305 is "direct message does not exist".
  FILE_NOT_FOUND: { errorCode: 20305, status: 404, error: 'direct message does not exist: no file has this fid' },
  // Menu show with no menu set: Weibo documents the 264xx family for the menu APIs without the list (protocol §4.4).
  MENU_NOT_FOUND: { errorCode: 26401, status: 400, error: 'menu does not exist' },
  // commercial/push from an IP outside the subscription's IP list (protocol §8), or the `ip-limited` fault. 10004 is
  // "IP limit" in Weibo's table and the text is the one Weibo's doc quotes; the HTTP status is undocumented: 403 is
  // our choice, as for the other refusals a retry cannot fix.
  IP_LIMITED: { errorCode: 10004, status: 403, error: 'Ip is limited' },
  // Only raised by faults (`rate-limit`, `system-error`) and by bugs in the fake itself.
  RATE_LIMITED: { errorCode: 10023, status: 403, error: 'user requests out of rate limit' },
  SYSTEM_ERROR: { errorCode: 10001, status: 500, error: 'system error' },
  API_NOT_FOUND: { errorCode: 10020, status: 404, error: 'request api not found' },
  METHOD_NOT_ALLOWED: { errorCode: 10021, status: 405, error: 'HTTP method is not suported for this request' }
} as const satisfies Record<string, { errorCode: number, status: number, error: string }>

export type FakeApiErrorName = keyof typeof FAKE_API_ERRORS

/** Weibo's error JSON, e.g. `{"request":"/2/messages/reply.json","error_code":20013,"error":"text too long…"}`. */
export interface WeiboErrorBody {
  request: string
  error_code: number
  error: string
}

/**
 * A refusal raised inside a route; the fake's error handler turns it into Weibo's error JSON. `detail` says what
 * exactly was wrong (which parameter, which limit) and is appended to the table's text.
 */
export class WeiboRefusal extends Error {
  override readonly name = 'WeiboRefusal'
  readonly errorName: FakeApiErrorName
  readonly detail: string | undefined

  constructor (errorName: FakeApiErrorName, detail?: string) {
    super(detail === undefined ? FAKE_API_ERRORS[errorName].error : `${FAKE_API_ERRORS[errorName].error}: ${detail}`)
    this.errorName = errorName
    this.detail = detail
  }

  get status (): number {
    return FAKE_API_ERRORS[this.errorName].status
  }

  body (request: string): WeiboErrorBody {
    return { request, error_code: FAKE_API_ERRORS[this.errorName].errorCode, error: this.message }
  }
}

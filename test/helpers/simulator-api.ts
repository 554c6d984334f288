import type { TestContext } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { createFakeWeiboApi, type ApiCall, type FakeWeiboApi, type FakeWeiboApiOptions } from '../../src/simulator/fake-weibo-api.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_FAN_ID } from '../../src/simulator/push-factory.ts'
import { TEST_TOKEN } from './config.ts'

export const API_TOKEN = 'fake-api-token-7f3a'
export const ACCOUNT = DEFAULT_ACCOUNT_ID
export const FAN = DEFAULT_FAN_ID
export const HOUR = 3600_000
/** Mon Jan 15 2024, 12:00:00 in Beijing: a fixed start, so `created_at` values are exact. */
export const START = Date.UTC(2024, 0, 15, 4, 0, 0)

export interface TestClock {
  now: () => number
  advance: (ms: number) => void
}

export function testClock (start = START): TestClock {
  let time = start
  return { now: () => time, advance: (ms) => { time += ms } }
}

export interface FakeApiFixture {
  api: FakeWeiboApi
  clock: TestClock
}

/** A fake Weibo API on a test clock, closed when the test ends. */
export function startFakeApi (t: TestContext, options: Partial<FakeWeiboApiOptions> = {}): FakeApiFixture {
  const clock = testClock()
  const api = createFakeWeiboApi({ accessToken: API_TOKEN, now: clock.now, ...options })
  t.after(async () => { await api.close() })
  return { api, clock }
}

/**
 * The fake Weibo API listening on loopback, for a client, an app or a server process that calls it over HTTP. It
 * accepts TEST_TOKEN (the token tests put in WEIBO_ACCESS_TOKEN) unless told otherwise; closed when the test ends.
 */
export async function listenFakeApi (t: Pick<TestContext, 'after'>, options: Partial<FakeWeiboApiOptions> = {}): Promise<FakeWeiboApi> {
  const api = createFakeWeiboApi({ accessToken: TEST_TOKEN, ...options })
  await api.listen()
  t.after(async () => { await api.close() })
  return api
}

/** The fan writes to the account, as a delivered push would: opens the fan's reply window so replies are accepted. */
export function fanWrites (api: FakeWeiboApi, fanId = FAN): void {
  api.recordFanActivity(fanMessage('你好', fanId))
}

/** The `data` form field of a call, parsed: the payload Weibo received (a reply's `{ text }`, say). */
export function sentData (call: ApiCall | undefined): unknown {
  return JSON.parse(call?.params.data ?? '')
}

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' }

/** POSTs form fields through `inject`, encoded once as a form does. */
export async function postForm (api: FakeWeiboApi, path: string, fields: Record<string, string>, options: { query?: string, headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
  return await api.app.inject({
    method: 'POST',
    url: options.query === undefined ? path : `${path}?${options.query}`,
    headers: options.headers ?? FORM_HEADERS,
    payload: new URLSearchParams(fields).toString()
  })
}

/** The fields of a valid text reply to FAN; `changes` replace or (as undefined) remove fields. */
export function replyFields (changes: Record<string, string | undefined> = {}): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    access_token: API_TOKEN,
    receiver_id: FAN,
    type: 'text',
    data: JSON.stringify({ text: '你好，有什么可以帮你？' }),
    ...changes
  }
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

export async function sendReply (api: FakeWeiboApi, changes: Record<string, string | undefined> = {}): Promise<LightMyRequestResponse> {
  return await postForm(api, '/2/messages/reply.json', replyFields(changes))
}

/** A push from FAN as the simulator would record it. */
export function fanMessage (text = '你好', fanId = FAN): { type: string, sender_id: string, text: string, data: Record<string, unknown> } {
  return { type: 'text', sender_id: fanId, text, data: {} }
}

export function fanEvent (subtype: string, fanId = FAN): { type: string, sender_id: string, text: string, data: Record<string, unknown> } {
  return { type: 'event', sender_id: fanId, text: '', data: { subtype } }
}

export function fanMention (fanId = FAN): { type: string, sender_id: string, text: string, data: Record<string, unknown> } {
  return { type: 'mention', sender_id: fanId, text: '@我们 你好', data: { subtype: 'status', key: '3700057402482222' } }
}

/** Weibo's error body of a refused call. */
export function weiboError (response: LightMyRequestResponse): { request: string, error_code: number, error: string } {
  return response.json()
}

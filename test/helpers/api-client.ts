/** Shared set-up of the Weibo API client tests: a client on the fake API or on a scripted server, and checks. */
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FanbotError, type ErrorCode } from '../../src/errors.ts'
import type { Message } from '../../src/message-schema.ts'
import { readPush } from '../../src/push-reader.ts'
import type { ValidReply } from '../../src/reply.ts'
import { createWeiboApiClient, type WeiboApiClient } from '../../src/weibo-api/client.ts'
import { WeiboApiError } from '../../src/weibo-api/api-error.ts'
import { createWeiboHttp } from '../../src/weibo-api/http.ts'
import type { FakeWeiboApi } from '../../src/simulator/fake-weibo-api.ts'
import { TEST_TOKEN } from './config.ts'
import { captureLogs, type CapturedLogs } from './logs.ts'
import { fixture } from './push.ts'
import { listenFakeApi } from './simulator-api.ts'

export const REPLY_PATH = '/2/messages/reply.json'
/** A 19-digit uid: beyond 2^53, so any trip through a JS number would change its digits. */
export const BIG_UID = '9223372036854775807'
export const TEXT: ValidReply = { type: 'text', text: 'hello' }

export interface ClientOptions {
  baseUrl?: string
  accessToken?: string | null
  maxRetries?: number
  timeoutMs?: number
  saveSenderBox?: boolean
}

export interface Setup {
  fake: FakeWeiboApi
  api: WeiboApiClient
  logs: CapturedLogs
}

export function client (baseUrl: string, logs: CapturedLogs, options: ClientOptions = {}): WeiboApiClient {
  const http = createWeiboHttp({
    baseUrl,
    accessToken: options.accessToken === null ? undefined : options.accessToken ?? TEST_TOKEN,
    timeoutMs: options.timeoutMs ?? 2000,
    maxRetries: options.maxRetries ?? 3,
    retryMinMs: 1,
    logger: logs.logger
  })
  return createWeiboApiClient({ http, saveSenderBox: options.saveSenderBox ?? true })
}

/**
 * The simulator's fake Weibo API on loopback (closed after the test) and a client pointed at it, logging at debug.
 * The fake enforces reply windows: a test that expects a reply to go through first has the fan write (`fanWrites`).
 */
export async function setup (t: TestContext, options: ClientOptions = {}): Promise<Setup> {
  const fake = await listenFakeApi(t)
  const logs = captureLogs('debug')
  return { fake, logs, api: client(fake.baseUrl, logs, options) }
}

/** A bare node:http server on loopback for what the fake cannot do (stall or cut a body, show the raw URL); closed after the test. */
export async function listen (t: TestContext, onRequest: RequestListener): Promise<string> {
  const server = createServer(onRequest)
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  t.after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => { server.close(resolve) })
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Awaits `promise`, expecting it to reject; returns the reason. */
export async function rejection (promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  assert.fail('expected a rejection')
}

export async function apiError (promise: Promise<unknown>, code: ErrorCode): Promise<WeiboApiError> {
  const error = await rejection(promise)
  assert.ok(error instanceof WeiboApiError, `expected a WeiboApiError, got ${String(error)}`)
  assert.ok(error instanceof FanbotError)
  assert.equal(error.code, code)
  return error
}

/** One answer of `scripted`: a string body is sent as HTML, anything else as JSON. */
export interface Answer {
  status: number
  body: unknown
}

export interface Scripted {
  baseUrl: string
  /** The raw body of each call received, in order. */
  bodies: string[]
}

/**
 * For answers the simulator's fake never gives (it has faults for 5xx pages, drops, delays, 21327, 10023 and 10001
 * on HTTP 500 only): a loopback server answering each call with the next of `answers`, then `{"result":true}`.
 */
export async function scripted (t: TestContext, ...answers: Answer[]): Promise<Scripted> {
  const bodies: string[] = []
  const baseUrl = await listen(t, (request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { body += chunk })
    request.on('end', () => {
      bodies.push(body)
      const answer = answers.shift() ?? { status: 200, body: { result: true } }
      const json = typeof answer.body !== 'string'
      response.writeHead(answer.status, { 'content-type': json ? 'application/json' : 'text/html' })
      response.end(json ? JSON.stringify(answer.body) : String(answer.body))
    })
  })
  return { baseUrl, bodies }
}

export function weiboError (errorCode: number, status = 400): Answer {
  return { status, body: { request: REPLY_PATH, error_code: errorCode, error: `error ${errorCode}` } }
}

/** What the fake answered to its `index`th call, checking that it accepted it. */
export function accepted (fake: FakeWeiboApi, index: number): unknown {
  const call = fake.calls[index]
  assert.equal(call?.status, 200, `call ${index} was refused: ${JSON.stringify(call?.response)}`)
  return call?.response
}

export function textMessage (): Message {
  const reading = readPush(fixture('text'))
  if (reading.kind !== 'message') throw new Error('the text fixture should be a message')
  return reading.message
}

/** Everything a user could see about an error: its message, its cause chain, and how pino would log it. */
export function visibleText (error: unknown, logs: CapturedLogs): string {
  logs.logger.error({ err: error }, 'call failed')
  const parts: string[] = []
  let current: unknown = error
  while (current !== undefined && parts.length < 10) {
    parts.push(String(current), current instanceof Error ? current.stack ?? '' : '')
    current = current instanceof Error ? current.cause : undefined
  }
  return parts.join('\n') + logs.text()
}

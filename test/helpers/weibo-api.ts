import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { ErrorCode } from '../../src/errors.ts'
import { FanbotError } from '../../src/errors.ts'
import { createFakeWeiboApi, type FakeWeiboApi } from '../../src/simulator/fake-weibo-api.ts'
import { createWeiboApiClient, type WeiboApiClient } from '../../src/weibo-api/client.ts'
import { createWeiboHttp } from '../../src/weibo-api/http.ts'
import type { WeiboRateLimiter } from '../../src/weibo-api/rate-limiter.ts'
import { TEST_TOKEN } from './config.ts'
import { captureLogs, type CapturedLogs } from './logs.ts'

export interface ApiSetup {
  fake: FakeWeiboApi
  api: WeiboApiClient
  logs: CapturedLogs
}

export interface ApiSetupOptions {
  accessToken?: string
  replyEndpoint?: 'standard' | 'biz'
  commercialLimiter?: WeiboRateLimiter
  mediaMaxBytes?: number
}

/** The simulator's fake Weibo API on loopback, every host of the client pointed at it, logs captured at debug. */
export async function setup (t: TestContext, options: ApiSetupOptions = {}): Promise<ApiSetup> {
  const fake = createFakeWeiboApi({ accessToken: TEST_TOKEN })
  const baseUrl = await fake.listen()
  t.after(fake.close)
  const logs = captureLogs('debug')
  const http = createWeiboHttp({
    baseUrl,
    accessToken: options.accessToken ?? TEST_TOKEN,
    timeoutMs: 2000,
    maxRetries: 2,
    retryMinMs: 1,
    logger: logs.logger,
    ...(options.commercialLimiter === undefined ? {} : { commercialLimiter: options.commercialLimiter })
  })
  const api = createWeiboApiClient({
    http,
    saveSenderBox: false,
    replyEndpoint: options.replyEndpoint ?? 'standard',
    commercialBaseUrl: baseUrl,
    uploadBaseUrl: baseUrl,
    openBaseUrl: baseUrl,
    ...(options.mediaMaxBytes === undefined ? {} : { mediaMaxBytes: options.mediaMaxBytes })
  })
  return { fake, api, logs }
}

/** Awaits `promise`, expecting a FanbotError (or WeiboApiError) with `code`; returns it. */
export async function refused<E extends FanbotError = FanbotError> (promise: Promise<unknown>, code: ErrorCode): Promise<E> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof FanbotError, `expected a FanbotError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    assert.ok(!error.message.includes(TEST_TOKEN), 'the token is in the error message')
    return error as E
  }
  assert.fail(`expected ${code}`)
}

/** A fan who followed the account, so the fake lets us message them. */
export function follower (fake: FakeWeiboApi, uid: string): string {
  fake.recordFanActivity({ type: 'event', sender_id: uid, data: { subtype: 'follow' } })
  return uid
}

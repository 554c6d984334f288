import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { CONFIG_KEYS, loadConfig, type Environment } from '../src/config.ts'
import { isFanbotError, type FanbotError } from '../src/errors.ts'

/** Loads `env`, expecting the one configuration error, and returns it. */
function configError (env: Environment): FanbotError {
  let caught: unknown
  assert.throws(() => loadConfig(env), (error) => { caught = error; return true })
  assert.ok(isFanbotError(caught, 'WEIBO_ERR_CONFIG_INVALID'), `expected WEIBO_ERR_CONFIG_INVALID, got ${String(caught)}`)
  return caught
}

/** The variable names the error's issues point at, sorted. */
function badKeys (error: FanbotError): string[] {
  assert.ok(error.cause instanceof z.ZodError)
  return [...new Set(error.cause.issues.map((issue) => String(issue.path[0])))].sort()
}

describe('loadConfig defaults', () => {
  test('an empty environment gives every documented default', () => {
    assert.deepEqual(loadConfig({}), {
      nodeEnv: 'development',
      port: 3000,
      host: '0.0.0.0',
      callbackPath: '/weibo',
      appSecret: undefined,
      insecureAcceptUnsignedPushes: false,
      appSecretRequired: false,
      signatureMaxAgeMs: 0,
      replayProtection: false,
      accessToken: undefined,
      accountsFile: undefined,
      apiBaseUrl: 'https://m.api.weibo.com',
      commercialApiBaseUrl: 'https://c.api.weibo.com',
      uploadApiBaseUrl: 'https://upload.api.weibo.com',
      openApiBaseUrl: 'https://api.weibo.com',
      replyEndpoint: 'standard',
      commercialRequestsPerHour: 50_000,
      apiTimeoutMs: 10_000,
      apiMaxRetries: 3,
      apiRetryMinMs: 200,
      replySaveSenderBox: true,
      handlersDir: 'handlers',
      replyDeadlineMs: 4000,
      handlerTimeoutMs: 60_000,
      dedupTtlMs: 300_000,
      dedupMax: 100_000,
      dedupReplayTtlMs: 60_000,
      sessionTtlMs: 172_800_000,
      sessionMax: 100_000,
      fanQueueLeaseMs: 10_000,
      bodyLimitBytes: 65_536,
      requestTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
      maxRequestsPerSocket: 0,
      maxConnections: 2048,
      shutdownTimeoutMs: 10_000,
      shutdownDrainDelayMs: 0,
      redisUrl: undefined,
      redisKeyPrefix: 'weibo-fanbot',
      redisOptional: false,
      outboxConcurrency: 4,
      outboxAttempts: 8,
      outboxBackoffMs: 1000,
      outboxLockMs: 30000,
      replyQuota: { enforce: true, windowMs: 172_800_000, repliesPerWindow: 99, repliesPerMention: 1, maxFans: 100_000 },
      pushStream: undefined,
      metricsToken: undefined,
      metricsPort: undefined,
      trustProxy: false,
      overloadMaxEventLoopDelayMs: 1000,
      logFormat: 'json',
      logLevel: 'info',
      logFlushMs: 0
    })
  })

  test('log lines go out in batches every 100 ms in production, one by one elsewhere, unless LOG_FLUSH_MS says', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production', WEIBO_APP_SECRET: 's' }).logFlushMs, 100)
    assert.equal(loadConfig({ NODE_ENV: 'production', WEIBO_APP_SECRET: 's', LOG_FLUSH_MS: '0' }).logFlushMs, 0)
    assert.equal(loadConfig({ LOG_FLUSH_MS: '250' }).logFlushMs, 250)
    assert.throws(() => loadConfig({ LOG_FLUSH_MS: '-1' }), /LOG_FLUSH_MS/)
  })

  test('a subscription id turns the push stream on, with its defaults', () => {
    assert.deepEqual(loadConfig({ WEIBO_PUSH_SUBID: '1024' }).pushStream, {
      subid: '1024',
      url: 'https://c.api.weibo.com/commercial/push',
      sinceIdFile: 'data/push-since-id',
      idleTimeoutMs: 30_000,
      reconnectMinMs: 1000,
      reconnectMaxMs: 60_000,
      connectsPerHour: 1200,
      backlog: 'skip',
      backlogMaxAgeMs: 259_200_000,
      concurrency: 16,
      handlerAttempts: 3,
      handlerBackoffMs: 1000,
      deadLetterMax: 1000,
      deadLetterTtlMs: 604_800_000
    })
  })

  test('bad push stream and quota settings are all reported at once', () => {
    assert.throws(() => loadConfig({
      WEIBO_PUSH_SUBID: 'abc',
      WEIBO_PUSH_RECONNECT_MIN_MS: '5000',
      WEIBO_PUSH_RECONNECT_MAX_MS: '1000',
      REPLY_QUOTA_PER_WINDOW: '-1',
      REPLY_QUOTA_ENFORCE: 'maybe'
    }), (error: unknown) => {
      assert.ok(error instanceof Error)
      for (const key of ['WEIBO_PUSH_SUBID', 'WEIBO_PUSH_RECONNECT_MAX_MS', 'REPLY_QUOTA_PER_WINDOW', 'REPLY_QUOTA_ENFORCE']) {
        assert.match(error.message, new RegExp(key))
      }
      return true
    })
  })

  test('blank and whitespace-only values mean "not set"', () => {
    const config = loadConfig({
      PORT: '',
      HOST: '   ',
      LOG_LEVEL: '',
      WEIBO_APP_SECRET: '',
      WEIBO_API_BASE_URL: ' ',
      REPLY_DEADLINE_MS: '\t'
    })
    assert.equal(config.port, 3000)
    assert.equal(config.host, '0.0.0.0')
    assert.equal(config.logLevel, 'info')
    assert.equal(config.appSecret, undefined)
    assert.equal(config.apiBaseUrl, 'https://m.api.weibo.com')
    assert.equal(config.replyDeadlineMs, 4000)
  })

  test('a blank WEIBO_APP_SECRET in production counts as missing', () => {
    const error = configError({ NODE_ENV: 'production', WEIBO_APP_SECRET: '  ' })
    assert.deepEqual(badKeys(error), ['WEIBO_APP_SECRET'])
  })

  test('variables that are not part of the config are ignored', () => {
    assert.deepEqual(loadConfig({ PATH: '/usr/bin', HOME: '/root', port: 'abc' }), loadConfig({}))
  })
})

describe('loadConfig values', () => {
  test('numbers are parsed and surrounding spaces trimmed', () => {
    const config = loadConfig({ PORT: ' 8080 ', REPLY_DEADLINE_MS: '2500', HANDLER_TIMEOUT_MS: '2500', DEDUP_MAX: '10' })
    assert.equal(config.port, 8080)
    assert.equal(config.replyDeadlineMs, 2500)
    assert.equal(config.handlerTimeoutMs, 2500)
    assert.equal(config.dedupMax, 10)
  })

  test('strings are kept as given', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      CALLBACK_PATH: '/hooks/weibo-1',
      WEIBO_APP_SECRET: 'xyz123xyz',
      WEIBO_ACCESS_TOKEN: '2.00abc',
      HANDLERS_DIR: 'bots/handlers',
      LOG_LEVEL: 'debug'
    })
    assert.equal(config.nodeEnv, 'test')
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.callbackPath, '/hooks/weibo-1')
    assert.equal(config.appSecret, 'xyz123xyz')
    assert.equal(config.accessToken, '2.00abc')
    assert.equal(config.handlersDir, 'bots/handlers')
    assert.equal(config.logLevel, 'debug')
  })

  test('WEIBO_REPLY_SAVE_SENDER_BOX accepts true/false/1/0 and nothing else', () => {
    assert.equal(loadConfig({ WEIBO_REPLY_SAVE_SENDER_BOX: 'false' }).replySaveSenderBox, false)
    assert.equal(loadConfig({ WEIBO_REPLY_SAVE_SENDER_BOX: '0' }).replySaveSenderBox, false)
    assert.equal(loadConfig({ WEIBO_REPLY_SAVE_SENDER_BOX: 'true' }).replySaveSenderBox, true)
    assert.equal(loadConfig({ WEIBO_REPLY_SAVE_SENDER_BOX: '1' }).replySaveSenderBox, true)
    assert.deepEqual(badKeys(configError({ WEIBO_REPLY_SAVE_SENDER_BOX: 'yes' })), ['WEIBO_REPLY_SAVE_SENDER_BOX'])
  })

  test('TRUST_PROXY takes true/false, a hop count, or addresses and CIDRs; anything else is refused', () => {
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false)
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2)
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback,::1,fd00::/8' }).trustProxy, ['10.0.0.0/8', 'loopback', '::1', 'fd00::/8'])
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.internal', '1.2.3.4/8/1', ',']) {
      assert.deepEqual(badKeys(configError({ TRUST_PROXY: bad })), ['TRUST_PROXY'], bad)
    }
  })

  test('METRICS_PORT is a port number', () => {
    assert.equal(loadConfig({ METRICS_PORT: '9464' }).metricsPort, 9464)
    assert.deepEqual(badKeys(configError({ METRICS_PORT: '0' })), ['METRICS_PORT'])
    assert.deepEqual(badKeys(configError({ METRICS_PORT: 'http' })), ['METRICS_PORT'])
  })

  test('integers outside their bounds or with a fraction are refused', () => {
    assert.deepEqual(badKeys(configError({ PORT: '65536' })), ['PORT'])
    assert.deepEqual(badKeys(configError({ PORT: '-1' })), ['PORT'])
    assert.deepEqual(badKeys(configError({ PORT: '80.5' })), ['PORT'])
    assert.deepEqual(badKeys(configError({ REPLY_DEADLINE_MS: '0' })), ['REPLY_DEADLINE_MS'])
    assert.deepEqual(badKeys(configError({ BODY_LIMIT_BYTES: '100' })), ['BODY_LIMIT_BYTES'])
    assert.equal(loadConfig({ REPLY_DEADLINE_MS: '4900' }).replyDeadlineMs, 4900)
  })

  test('the returned config is frozen', () => {
    const config = loadConfig({})
    assert.ok(Object.isFrozen(config))
    assert.throws(() => { (config as { port: number }).port = 1 }, TypeError)
    assert.equal(config.port, 3000)
  })

  test('trailing slashes are stripped from WEIBO_API_BASE_URL', () => {
    assert.equal(loadConfig({ WEIBO_API_BASE_URL: 'http://127.0.0.1:8080/' }).apiBaseUrl, 'http://127.0.0.1:8080')
    assert.equal(loadConfig({ WEIBO_API_BASE_URL: 'https://api.example.com/weibo//' }).apiBaseUrl, 'https://api.example.com/weibo')
  })

  test('WEIBO_API_BASE_URL must be an http(s) URL', () => {
    for (const url of ['ftp://m.api.weibo.com', 'file:///etc/passwd', 'm.api.weibo.com', 'not a url']) {
      assert.deepEqual(badKeys(configError({ WEIBO_API_BASE_URL: url })), ['WEIBO_API_BASE_URL'], url)
    }
  })

  test('CALLBACK_PATH must start with a slash', () => {
    assert.deepEqual(badKeys(configError({ CALLBACK_PATH: 'weibo' })), ['CALLBACK_PATH'])
    assert.deepEqual(badKeys(configError({ CALLBACK_PATH: 'https://example.com/weibo' })), ['CALLBACK_PATH'])
    assert.deepEqual(badKeys(configError({ CALLBACK_PATH: '/we ibo' })), ['CALLBACK_PATH'])
    assert.equal(loadConfig({ CALLBACK_PATH: '/' }).callbackPath, '/')
  })
})

describe('loadConfig errors', () => {
  test('every bad variable is reported in one error that names each of them', () => {
    const error = configError({ PORT: 'abc', LOG_LEVEL: 'loud', REPLY_DEADLINE_MS: '9000', HOST: 'localhost' })
    assert.equal(error.statusCode, 500)
    assert.deepEqual(badKeys(error), ['LOG_LEVEL', 'PORT', 'REPLY_DEADLINE_MS'])
    for (const key of ['PORT', 'LOG_LEVEL', 'REPLY_DEADLINE_MS']) {
      assert.match(error.message, new RegExp(`\\b${key}\\b`), `message should name ${key}`)
    }
    assert.doesNotMatch(error.message, /\bHOST\b/)
  })

  test('production without WEIBO_APP_SECRET is refused', () => {
    const error = configError({ NODE_ENV: 'production' })
    assert.deepEqual(badKeys(error), ['WEIBO_APP_SECRET'])
    assert.match(error.message, /WEIBO_APP_SECRET/)
    assert.match(error.message, /production/)
    assert.equal(loadConfig({ NODE_ENV: 'production', WEIBO_APP_SECRET: 's3cret' }).appSecret, 's3cret')
  })

  test('a missing WEIBO_APP_SECRET outside production is fine', () => {
    assert.equal(loadConfig({ NODE_ENV: 'development' }).appSecret, undefined)
    assert.equal(loadConfig({ NODE_ENV: 'test' }).appSecret, undefined)
  })

  test('the production secret check is reported together with other bad variables', () => {
    const error = configError({ NODE_ENV: 'production', PORT: 'abc', LOG_LEVEL: 'loud' })
    assert.deepEqual(badKeys(error), ['LOG_LEVEL', 'PORT', 'WEIBO_APP_SECRET'])
  })

  test('HANDLER_TIMEOUT_MS below REPLY_DEADLINE_MS is refused; equal is fine', () => {
    const error = configError({ REPLY_DEADLINE_MS: '3000', HANDLER_TIMEOUT_MS: '2999' })
    assert.deepEqual(badKeys(error), ['HANDLER_TIMEOUT_MS'])
    assert.match(error.message, /HANDLER_TIMEOUT_MS/)
    assert.equal(loadConfig({ REPLY_DEADLINE_MS: '3000', HANDLER_TIMEOUT_MS: '3000' }).handlerTimeoutMs, 3000)
    // Against the default deadline (4000) too.
    assert.deepEqual(badKeys(configError({ HANDLER_TIMEOUT_MS: '1000' })), ['HANDLER_TIMEOUT_MS'])
  })

  test('the HANDLER_TIMEOUT_MS check is reported together with other bad variables', () => {
    const error = configError({ PORT: 'abc', HANDLER_TIMEOUT_MS: '1000' })
    assert.deepEqual(badKeys(error), ['HANDLER_TIMEOUT_MS', 'PORT'])
  })

  test('a non-numeric timeout is reported once, as itself, not as a comparison', () => {
    for (const env of [{ HANDLER_TIMEOUT_MS: 'soon', PORT: 'abc' }, { REPLY_DEADLINE_MS: 'soon', PORT: 'abc' }]) {
      const error = configError(env)
      assert.ok(error.cause instanceof z.ZodError)
      assert.equal(error.cause.issues.length, 2, JSON.stringify(error.cause.issues))
    }
  })

  test('the error keeps the validation failure as its cause', () => {
    const error = configError({ PORT: 'abc' })
    assert.ok(error.cause instanceof z.ZodError)
  })
})

describe('.env.example', () => {
  test('lists exactly the keys of CONFIG_KEYS', () => {
    const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8')
    // A key the Docker image sets (NODE_ENV) is listed commented out (`# NODE_ENV=…`): an active blank line would
    // override the image's value through `env_file`.
    const keys = text.split(/\r?\n/)
      .map((line) => line.trim().replace(/^# (?=[A-Z][A-Z0-9_]*=)/, ''))
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1] ?? `unparsable line: ${line}`)
    assert.equal(new Set(keys).size, keys.length, 'a key is listed twice')
    assert.deepEqual([...keys].sort(), [...CONFIG_KEYS].sort())
  })

  test('every value in it is accepted by loadConfig', () => {
    const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8')
    const env: Record<string, string> = {}
    for (const line of text.split(/\r?\n/)) {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim())
      if (match?.[1] !== undefined) env[match[1]] = match[2] ?? ''
    }
    assert.deepEqual(loadConfig(env), loadConfig({}))
  })
})

/**
 * Throws random and mutated bodies, headers and query strings at the app (`app.inject`) and checks the edge's
 * promises: never a 5xx, never a handler run on invalid input, every answer one of the documented shapes.
 * Seeded: a failure prints its seed and path, and FUZZ_SEED=<seed> replays the same run.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { ERRORS, text, type Message } from '../../src/index.ts'
import { decodePassiveReplyBody } from '../../src/reply-encoding.ts'
import { startTestApp } from '../helpers/app.ts'
import { TEST_SECRET } from '../helpers/config.ts'
import { fixture, signedQuery } from '../helpers/push.ts'

const SEED = Number(process.env.FUZZ_SEED ?? 20261201)
const RUNS = 3000
const FIXTURES = ['text', 'position', 'voice', 'image', 'event-follow', 'event-click', 'mention-status', 'mention-comment']

type BodyKind = 'valid' | 'invalid' | 'random'
interface Body { kind: BodyKind, raw: string }

/** Valid pushes: a fixture with a fresh text and created_at, so most are new to dedup. */
const validBody: fc.Arbitrary<Body> = fc.record({
  name: fc.constantFrom(...FIXTURES),
  text: fc.string({ maxLength: 40 }),
  second: fc.integer({ min: 0, max: 59 }),
  sender: fc.bigInt({ min: 1n, max: 18446744073709551615n })
}).map(({ name, text: words, second, sender }) => {
  const push = JSON.parse(fixture(name)) as Record<string, unknown>
  push.text = words
  push.created_at = `Mon Jul 16 18:09:${String(second).padStart(2, '0')} +0800 2012`
  // Ids as JSON numbers of any size, written as digits, as Weibo does.
  return { kind: 'valid' as const, raw: JSON.stringify(push).replace(/"sender_id":\d+/, `"sender_id":${sender}`) }
})

/** Bodies Weibo cannot have sent: each must be refused with a 4xx and run no handler. */
const invalidBody: fc.Arbitrary<Body> = fc.oneof(
  // A broken id, in any of the number formats that are not "positive digits up to 2^64-1".
  fc.record({
    name: fc.constantFrom(...FIXTURES),
    field: fc.constantFrom('sender_id', 'receiver_id'),
    token: fc.constantFrom('0', '-0', '0.0', '1e3', '1e-400', '-7', '18446744073709551616', '"007"', '""', 'null', 'true', '[]', '{}', '1.5')
  }).map(({ name, field, token }) => fixture(name).replace(new RegExp(`"${field}":\\d+`), `"${field}":${token}`)),
  // Deep nesting anywhere in data.
  fc.integer({ min: 33, max: 1000 }).map((depth) => fixture('text').replace('"data":{}', `"data":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
  // A big integer where a string belongs.
  fc.constantFrom('text', 'type', 'created_at').map((field) => fixture('text').replace(new RegExp(`"${field}":"[^"]*"`), `"${field}":-308386742893042600`)),
  // Out-of-range coordinates.
  fc.constantFrom('"999"', '181', '-180.5', '"1e3"').map((value) => fixture('position').replace(/"longitude":"[^"]*"/, `"longitude":${value}`)),
  // A required field missing, or the body truncated.
  fc.record({ name: fc.constantFrom(...FIXTURES), field: fc.constantFrom('sender_id', 'receiver_id', 'created_at', 'type') })
    .map(({ name, field }) => { const push = JSON.parse(fixture(name)) as Record<string, unknown>; delete push[field]; return JSON.stringify(push) }),
  fc.record({ name: fc.constantFrom(...FIXTURES), cut: fc.nat() }).map(({ name, cut }) => fixture(name).slice(0, cut % fixture(name).length))
).map((raw) => ({ kind: 'invalid' as const, raw }))

/** Anything at all: random JSON, a fixture with a random value dropped in, random bytes. */
const randomBody: fc.Arbitrary<Body> = fc.oneof(
  fc.json({ depthSize: 'medium' }),
  fc.record({ name: fc.constantFrom(...FIXTURES), key: fc.constantFrom('text', 'data', 'type', 'sender_id', 'created_at', 'id', 'extra'), value: fc.jsonValue() })
    .map(({ name, key, value }) => JSON.stringify({ ...JSON.parse(fixture(name)) as object, [key]: value })),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ maxLength: 100 }).map((junk) => fixture('text').replace('纯文本', junk))
).map((raw) => ({ kind: 'random' as const, raw }))

type QueryKind = 'signed' | 'unsigned' | 'forged' | 'expired' | 'garbage'
const query: fc.Arbitrary<{ kind: QueryKind, value: string }> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'signed' as const, value: '' }) },
  fc.constant({ kind: 'unsigned' as const, value: '' }),
  fc.constant({ kind: 'forged' as const, value: '' }),
  fc.constant({ kind: 'expired' as const, value: '' }),
  fc.string({ maxLength: 200 }).map((value) => ({ kind: 'garbage' as const, value }))
)

const printableHeader = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 120 })
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json charset=UTF-8', ';', 'json', '', 'application/json, text/plain', 'text/plain', '*/*', 'x'.repeat(8000)),
  printableHeader,
  fc.constant(undefined)
)

function queryString (kind: QueryKind, garbage: string): string {
  switch (kind) {
    case 'signed': return signedQuery()
    case 'unsigned': return ''
    case 'forged': return signedQuery({ secret: 'not-the-secret' })
    case 'expired': return signedQuery({ timestamp: String(Date.now() - 3_600_000) })
    case 'garbage': return garbage
  }
}

// No timeout of its own: its 3,000 requests are ~6 s of CPU, which at load 20 took over the minute it had (the
// runner's 10 minutes stop a hang).
test('fuzz: no 5xx, no handler run on invalid input, every answer a documented shape', async (t) => {
  const seen: Array<Pick<Message, 'sender_id' | 'receiver_id' | 'text'>> = []
  const { app } = await startTestApp(t, {
    handlers: [{ on: '*', handle: (message) => { if ('sender_id' in message) seen.push(message); return text('ok') } }],
    // Production defaults (freshness window, replay check); shedding off so a slow CI machine cannot answer 503.
    env: { NODE_ENV: 'production', WEIBO_APP_SECRET: TEST_SECRET, OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', BODY_LIMIT_BYTES: '16384' }
  })
  const codes = new Set(Object.keys(ERRORS))

  await fc.assert(fc.asyncProperty(
    fc.record({
      method: fc.oneof({ weight: 8, arbitrary: fc.constant('POST' as const) }, fc.constantFrom('GET' as const, 'PUT' as const, 'DELETE' as const)),
      path: fc.oneof({ weight: 8, arbitrary: fc.constant('/weibo') }, fc.constantFrom('/', '/weibo/', '/Weibo', '/metrics', '/healthz', '/x')),
      query,
      body: fc.oneof(validBody, invalidBody, randomBody),
      contentType,
      contentLength: fc.option(fc.oneof(fc.nat({ max: 20_000 }).map(String), printableHeader), { freq: 10 }),
      echostr: fc.option(printableHeader)
    }),
    async ({ method, path, query: { kind, value }, body, contentType: type, contentLength, echostr }) => {
      const qs = queryString(kind, value)
      const withEcho = method === 'GET' && echostr !== null ? `${qs}${qs === '' ? '' : '&'}echostr=${encodeURIComponent(echostr)}` : qs
      const options: InjectOptions = {
        method,
        url: `${path}${withEcho === '' ? '' : '?'}${withEcho}`,
        ...(method === 'GET' ? {} : { payload: body.raw }),
        headers: {
          ...(type === undefined || method === 'GET' ? {} : { 'content-type': type }),
          ...(contentLength === null || method === 'GET' ? {} : { 'content-length': contentLength })
        }
      }
      const before = seen.length
      const response = await app.inject(options)
      const ran = seen.length - before
      const label = `${method} ${path} query=${kind} body=${body.kind} → ${response.statusCode} ${response.body.slice(0, 200)}`

      assert.ok(response.statusCode < 500, label)
      const isCallbackPost = method === 'POST' && path === '/weibo'
      if (!isCallbackPost || kind !== 'signed' || body.kind === 'invalid') assert.equal(ran, 0, `a handler ran: ${label}`)
      if (isCallbackPost && kind === 'signed' && body.kind === 'valid' && contentLength === null) assert.equal(response.statusCode, 200, label)
      if (isCallbackPost && kind === 'signed' && body.kind === 'invalid') assert.ok([400, 413].includes(response.statusCode), label)
      if (isCallbackPost && kind !== 'signed' && kind !== 'garbage') assert.equal(response.statusCode, 401, label)

      // The documented shapes: 200 with a blank body or a passive reply (the callback), text for the handshake and
      // metrics, JSON for health; any refusal is {code, message} with a registry code.
      if (response.statusCode === 200) {
        if (isCallbackPost) {
          if (response.body !== '') decodePassiveReplyBody(response.body)
        } else if (path === '/weibo' && method === 'GET') {
          assert.equal(response.body, echostr, label)
          assert.equal(response.headers['x-content-type-options'], 'nosniff')
        }
      } else {
        const refusal = response.json<{ code?: unknown, message?: unknown }>()
        assert.ok(typeof refusal.code === 'string' && codes.has(refusal.code), `unregistered code: ${label}`)
        assert.equal(typeof refusal.message, 'string')
        assert.deepEqual(Object.keys(refusal).sort(), ['code', 'message'], label)
      }
      for (const message of seen.slice(before)) {
        // What a handler sees is always well formed, whatever came in.
        assert.match(message.sender_id, /^[1-9]\d{0,19}$/)
        assert.match(message.receiver_id, /^[1-9]\d{0,19}$/)
        assert.equal(typeof message.text, 'string')
      }
    }
  ), { seed: SEED, numRuns: RUNS })
})

import underPressure from '@fastify/under-pressure'
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { FanbotError, isFanbotError } from '../src/errors.ts'
import type { PushAnswer, PushProcessor } from '../src/push-processor.ts'
import type { ReplayGuard } from '../src/replay/replay-guard.ts'
import type { DeferredSighting } from '../src/dedup/deferred-sighting.ts'
import { timestampAgeMs, verifySignature } from '../src/signature.ts'

export interface CallbackRoutesOptions {
  path: string
  /** Undefined turns verification off (development only; the server warns at start). */
  appSecret: string | undefined
  /** Several accounts: the uids whose pushes arrive on this path; undefined (one account) takes every receiver_id. */
  accounts?: ReadonlySet<string> | undefined
  /** 0 = no freshness check on the signed timestamp. */
  signatureMaxAgeMs: number
  /** Wall clock in ms, injectable for tests. */
  now: () => number
  bodyLimitBytes: number
  /** Refuses a signed query seen before with another body; undefined = off. */
  replayGuard: ReplayGuard | undefined
  /** 0 turns overload shedding off. */
  overloadMaxEventLoopDelayMs: number
  pushes: PushProcessor
  /** Told of every answer on the callback URL, for the response-latency histogram. */
  observeResponse?: (response: { method: string, status: number, seconds: number }) => void
}

const NO_BODY = Buffer.alloc(0)

interface SignedQuery { signature?: string, timestamp?: string, nonce?: string, echostr?: string }

function checkSignature (options: CallbackRoutesOptions, query: SignedQuery): void {
  const { appSecret, signatureMaxAgeMs } = options
  if (appSecret === undefined) return
  const { signature, timestamp, nonce } = query
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') {
    throw new FanbotError('WEIBO_ERR_SIGNATURE_MISSING')
  }
  if (!verifySignature({ secret: appSecret, timestamp, nonce, signature })) throw new FanbotError('WEIBO_ERR_SIGNATURE_INVALID')
  if (signatureMaxAgeMs > 0) {
    // The signature does not cover the body: a leaked signed URL could be replayed with any body until it ages out.
    const age = timestampAgeMs(timestamp, options.now())
    if (age === undefined || age > signatureMaxAgeMs) throw new FanbotError('WEIBO_ERR_SIGNATURE_EXPIRED', { detail: `timestamp ${timestamp}` })
  }
}

/** A client sees the short registry message and the code; logs get the rest. */
function sendError (reply: FastifyReply, error: FanbotError): FastifyReply {
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send({ code: error.code, message: error.message })
}

function toFanbotError (error: FastifyError): FanbotError | undefined {
  if (isFanbotError(error)) return error
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new FanbotError('WEIBO_ERR_PUSH_TOO_LARGE', { cause: error })
  // Any other refusal Fastify makes of the request itself (a Content-Length that does not match the body…) is the
  // client's fault: a 400 with our code, never a 500.
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) return new FanbotError('WEIBO_ERR_REQUEST_INVALID', { detail: error.code, cause: error })
  return undefined
}

/** The request stream failed because the client went away mid-body (Node: `aborted`, ECONNRESET): not our error. */
function isClientAbort (error: FastifyError): boolean {
  const code: unknown = error.code
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE'
}

/** Every verified push is answered 200, its passive reply as JSON or a blank body. */
function sendAnswer (reply: FastifyReply, answer: PushAnswer): void {
  if (answer.body === '') reply.code(200).type('text/plain; charset=utf-8').send('')
  else reply.code(200).type('application/json; charset=utf-8').send(answer.body)
}

/** Weibo's callback URL: GET for the binding handshake, POST for every push. HTTP in and out only. */
export async function callbackRoutes (app: FastifyInstance, options: CallbackRoutesOptions): Promise<void> {
  const { pushes, observeResponse } = options
  if (observeResponse !== undefined) {
    // Every answer of this plugin (passive, blank, refused, shed): what Weibo waited for, measured by Fastify.
    app.addHook('onResponse', (request, reply, done) => {
      observeResponse({ method: request.method, status: reply.statusCode, seconds: reply.elapsedTime / 1000 })
      done()
    })
  }

  if (options.overloadMaxEventLoopDelayMs > 0) {
    // Registered here, it sheds only Weibo's calls: /healthz, /readyz and /metrics keep answering under load.
    await app.register(underPressure, {
      maxEventLoopDelay: options.overloadMaxEventLoopDelayMs,
      sampleInterval: 250, // how often the lag is measured: fast enough to shed a burst, cheap enough to ignore
      pressureHandler: (request, reply) => {
        const error = new FanbotError('WEIBO_ERR_SERVER_OVERLOADED')
        pushes.logRejected({ error, durationMs: reply.elapsedTime, client: request.ip })
        sendError(reply.header('retry-after', '1'), error)
      }
    })
  }

  // Weibo's Content-Type is undocumented: take every body as it came, whatever the header says, and parse it
  // ourselves. As bytes: the replay guard hashes them as received; hashing the decoded text would encode it back to
  // UTF-8 first (a Chinese text push is a two-byte string in V8), once more per push.
  app.removeAllContentTypeParsers()
  const asBytes = (_request: unknown, body: Buffer | string, done: (error: null, body: Buffer | string) => void): void => { done(null, body) }
  // '*' alone would do, but Fastify caches only a parser found by its media type: with the catch-all alone it parses
  // the Content-Type header anew on every request (~1 µs). JSON, what Weibo sends, is found directly and cached.
  for (const type of ['application/json', '*']) app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, asBytes)

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isClientAbort(error)) {
      // Routine (a client gone mid-body): nothing to answer, nothing an operator must act on.
      request.log.debug({ err: error }, 'client closed the connection before the body arrived')
      return sendError(reply, new FanbotError('WEIBO_ERR_REQUEST_INVALID', { cause: error }))
    }
    const known = toFanbotError(error)
    if (known === undefined) {
      request.log.error({ err: error }, 'unexpected error on the callback route')
      return sendError(reply, new FanbotError('WEIBO_ERR_SERVER_INTERNAL', { cause: error }))
    }
    if (request.method === 'POST') pushes.logRejected({ error: known, durationMs: reply.elapsedTime, client: request.ip })
    else request.log.warn({ verify: { code: known.code, client: request.ip } }, 'URL verification refused')
    // A refused (unsigned, forged) client may keep trickling the body it declared: end the connection after the answer.
    if (known.statusCode === 401) reply.header('connection', 'close')
    return sendError(reply, known)
  })

  app.get<{ Querystring: SignedQuery }>(options.path, async (request, reply) => {
    checkSignature(options, request.query)
    const { echostr } = request.query
    if (typeof echostr !== 'string') throw new FanbotError('WEIBO_ERR_VERIFY_ECHOSTR_MISSING')
    request.log.info('URL verification answered')
    // Echoed input: never let a browser sniff it into HTML.
    return await reply.type('text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(echostr)
  })

  app.post<{ Querystring: SignedQuery }>(options.path, {
    // Runs before the body is read: a forged push is refused without parsing anything it sent. A callback, not an
    // async hook: no promise per push.
    onRequest: (request, _reply, done) => {
      try {
        checkSignature(options, request.query)
      } catch (error) {
        done(error as FastifyError)
        return
      }
      done()
    }
  }, (request, reply) => {
    const bytes = Buffer.isBuffer(request.body) ? request.body : NO_BODY
    // Invalid UTF-8 becomes U+FFFD, as a text stream would decode it; the JSON parse then refuses or keeps it.
    const raw = bytes.toString('utf8')
    const { signature } = request.query
    // Synchronous from here to the answer when nothing waits (the memory stores, a synchronous handler): no promise
    // and no microtask per push. Fastify sends what a sync throw or a rejection carries to the error handler alike.
    const elapsedMs = (): number => reply.elapsedTime
    // On Redis the replay check rides on the dedup claim (one round trip for both); in memory it is made here.
    let sighting: DeferredSighting | undefined
    let replayChecked: void | Promise<void> | undefined
    if (options.replayGuard !== undefined && typeof signature === 'string') {
      sighting = options.replayGuard.defer?.(signature, bytes)
      if (sighting === undefined) replayChecked = options.replayGuard.check(signature, bytes)
    }
    const answer = replayChecked instanceof Promise
      ? replayChecked.then(() => pushes.process(raw, elapsedMs, options.accounts))
      : pushes.process(raw, elapsedMs, options.accounts, sighting)
    if (answer instanceof Promise) return answer.then((settled) => { sendAnswer(reply, settled) })
    sendAnswer(reply, answer)
    return undefined
  })
}

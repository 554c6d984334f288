import Fastify from 'fastify'

export interface RecordedCall {
  path: string
  /** The form fields as Weibo would decode them. */
  form: Record<string, string>
  contentType: string | undefined
  /** The raw body as it came over the wire. */
  raw: string
}

/** What the fake answers to one call: an HTTP status and JSON body, or a dropped connection. */
export type ScriptedResponse = { status: number, body: unknown } | 'drop'

export interface FakeWeiboApi {
  baseUrl: string
  calls: RecordedCall[]
  /** Queue answers for the next calls; once the queue is empty every call gets 200 `{"result":true}`. */
  script: (...responses: ScriptedResponse[]) => void
  close: () => Promise<void>
}

/** A loopback stand-in for Weibo's API that records every call (until the simulator of issue 3 replaces it). */
export async function startFakeWeiboApi (): Promise<FakeWeiboApi> {
  const app = Fastify()
  const calls: RecordedCall[] = []
  const queue: ScriptedResponse[] = []
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
  app.post('/2/*', async (request, reply) => {
    const raw = typeof request.body === 'string' ? request.body : ''
    calls.push({
      path: request.url.split('?')[0] ?? '',
      form: Object.fromEntries(new URLSearchParams(raw)),
      contentType: request.headers['content-type'],
      raw
    })
    const next = queue.shift() ?? { status: 200, body: { result: true } }
    if (next === 'drop') {
      request.raw.socket.destroy()
      return await reply.hijack()
    }
    return await reply.code(next.status).send(next.body)
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    script: (...responses) => { queue.push(...responses) },
    close: async () => { await app.close() }
  }
}

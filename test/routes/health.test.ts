import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import type { DedupStore } from '../../src/dedup/dedup-store.ts'
import { createMemoryDedupStore } from '../../src/dedup/memory-dedup-store.ts'
import { testConfig } from '../helpers/config.ts'

async function appWith (t: TestContext, store?: DedupStore): Promise<FastifyInstance> {
  const app = await buildApp({ config: testConfig(), handlers: [], ...(store === undefined ? {} : { store }) })
  t.after(async () => { await app.close() })
  return app
}

const memory = (): DedupStore => createMemoryDedupStore({ max: 10, ttlMs: 60_000 })

describe('health and readiness', () => {
  test('/healthz answers 200 while the process is up', async (t) => {
    const app = await appWith(t)
    const response = await app.inject({ method: 'GET', url: '/healthz' })
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { status: 'ok' })
  })

  test('/readyz answers 200 once handlers are loaded and every store answers', async (t) => {
    const app = await appWith(t, { ...memory(), ping: async () => {} })
    const response = await app.inject({ method: 'GET', url: '/readyz' })
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { ready: true, status: 'ready', checks: { 'dedup-store': 'ok' } })
  })

  test('/readyz answers 503 naming the store that fails or does not answer', async (t) => {
    const failing = await appWith(t, { ...memory(), ping: async () => { throw new Error('connection refused') } })
    const refused = await failing.inject({ method: 'GET', url: '/readyz' })
    assert.equal(refused.statusCode, 503)
    assert.deepEqual(refused.json(), { ready: false, status: 'not-ready', checks: { 'dedup-store': 'connection refused' } })

    const silent = await appWith(t, { ...memory(), ping: async () => await new Promise(() => {}) })
    const hung = await silent.inject({ method: 'GET', url: '/readyz' })
    assert.equal(hung.statusCode, 503)
    assert.match(String(hung.json().checks['dedup-store']), /no answer within/)
  })

  test('/readyz answers 503 from the moment shutdown begins, while pushes are still served', async (t) => {
    const app = await appWith(t)
    app.fanbot.readiness.markShuttingDown()
    const response = await app.inject({ method: 'GET', url: '/readyz' })
    assert.equal(response.statusCode, 503)
    assert.equal(response.json().status, 'shutting-down')
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  })
})

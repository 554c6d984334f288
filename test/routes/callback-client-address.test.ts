import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { InjectOptions } from 'fastify'
import { startTestApp } from '../helpers/app.ts'
import { fixture } from '../helpers/push.ts'

/** A forged push (no signature) from `remoteAddress`, as if relayed by a proxy for FORWARDED_FOR. */
const FORWARDED_FOR = '203.0.113.9'
function forged (remoteAddress: string): InjectOptions {
  return { method: 'POST', url: '/weibo', remoteAddress, headers: { 'x-forwarded-for': FORWARDED_FOR }, payload: fixture('text') }
}

function refusedClients (lines: Array<Record<string, unknown>>): unknown[] {
  return lines.filter((line) => line.msg === 'push rejected' || line.msg === 'URL verification refused')
    .map((line) => ((line.push ?? line.verify) as { client?: unknown }).client)
}

describe('the client address on refused requests', () => {
  test('by default (TRUST_PROXY=false) it is the connecting address; X-Forwarded-For is not believed', async (t) => {
    const { app, logs } = await startTestApp(t, { handlers: [] })
    assert.equal((await app.inject(forged('10.1.2.3'))).statusCode, 401)
    assert.equal((await app.inject({ url: '/weibo?echostr=x', remoteAddress: '10.1.2.4', headers: { 'x-forwarded-for': FORWARDED_FOR } })).statusCode, 401)
    assert.deepEqual(refusedClients(logs.lines()), ['10.1.2.3', '10.1.2.4'])
  })

  test('with TRUST_PROXY naming the proxy, the address it forwards is logged; from anyone else, it is not', async (t) => {
    const { app, logs } = await startTestApp(t, { handlers: [], env: { TRUST_PROXY: '10.0.0.0/8' } })
    await app.inject(forged('10.1.2.3'))
    await app.inject(forged('198.51.100.20')) // not a trusted proxy: its X-Forwarded-For could be a lie
    assert.deepEqual(refusedClients(logs.lines()), [FORWARDED_FOR, '198.51.100.20'])
  })

  test('TRUST_PROXY as a hop count trusts the nearest proxy', async (t) => {
    const { app, logs } = await startTestApp(t, { handlers: [], env: { TRUST_PROXY: '1' } })
    await app.inject(forged('10.1.2.3'))
    assert.deepEqual(refusedClients(logs.lines()), [FORWARDED_FOR])
  })
})

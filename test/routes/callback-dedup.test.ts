import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { text } from '../../src/index.ts'
import { startTestApp } from '../helpers/app.ts'
import { deferred } from '../helpers/deferred.ts'
import { decodePassive, fixture, fixtureWith, sendPush } from '../helpers/push.ts'

describe('Weibo retries are deduplicated', () => {
  test('a retry while the first copy is still running joins it: one handler run, both answered with the reply', async (t) => {
    const release = deferred()
    let runs = 0
    const { app } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: async () => { runs++; await release.promise; return text('once') } }],
      env: { REPLY_DEADLINE_MS: '2000' }
    })
    const first = sendPush(app, fixture('text'))
    const retry = sendPush(app, fixture('text'))
    setImmediate(() => { release.resolve() })
    const [a, b] = await Promise.all([first, retry])
    assert.equal(runs, 1)
    assert.deepEqual(decodePassive(a.body).data, { text: 'once' })
    assert.equal(b.body, a.body)
  })

  test('a retry after the first finished gets the same passive reply again, without running the handler', async (t) => {
    let runs = 0
    const { app, logs } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => { runs++; return text(`run ${runs}`) } }] })
    const first = await sendPush(app, fixture('text'))
    const retry = await sendPush(app, fixture('text'))
    const third = await sendPush(app, fixture('text'))
    assert.equal(runs, 1)
    assert.equal(retry.body, first.body)
    assert.equal(third.body, first.body)
    const outcomes = logs.lines().flatMap((line) => line.push === undefined ? [] : [(line.push as { outcome: string }).outcome])
    assert.deepEqual(outcomes, ['passive', 'duplicate', 'duplicate'])
  })

  test('past DEDUP_REPLAY_TTL_MS a retry is answered blank, and still does not rerun the handler', async (t) => {
    let runs = 0
    const { app, logs } = await startTestApp(t, {
      handlers: [{ on: 'text', handle: () => { runs++; return text('the reply') } }],
      env: { DEDUP_REPLAY_TTL_MS: '200' }
    })
    const first = await sendPush(app, fixture('text'))
    assert.deepEqual(decodePassive(first.body).data, { text: 'the reply' })
    assert.equal((await sendPush(app, fixture('text'))).body, first.body, 'replayed inside the window')
    await sleep(400) // a retry can only be later than this, never earlier: no upper bound is asserted
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    assert.equal(runs, 1)
    const outcomes = logs.lines().flatMap((line) => line.push === undefined ? [] : [(line.push as { outcome: string }).outcome])
    assert.deepEqual(outcomes, ['passive', 'duplicate', 'duplicate'])
  })

  test('retries of a blank answer stay blank and do not rerun the handler', async (t) => {
    let runs = 0
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => { runs++ } }] })
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    assert.equal((await sendPush(app, fixture('text'))).body, '')
    assert.equal(runs, 1)
  })

  test('two different messages from one fan in the same second are both handled', async (t) => {
    const texts: string[] = []
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: (message) => { texts.push(message.text); return text(`got ${message.text}`) } }] })
    const a = await sendPush(app, fixtureWith('text', { text: '第一条' }))
    const b = await sendPush(app, fixtureWith('text', { text: '第二条' }))
    assert.deepEqual(texts, ['第一条', '第二条'])
    assert.deepEqual(decodePassive(a.body).data, { text: 'got 第一条' })
    assert.deepEqual(decodePassive(b.body).data, { text: 'got 第二条' })
  })

  test('the same text from two fans, or from one fan at two times, is two messages', async (t) => {
    let runs = 0
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => { runs++ } }] })
    await sendPush(app, fixture('text'))
    await sendPush(app, fixtureWith('text', { sender_id: 1111 }))
    await sendPush(app, fixtureWith('text', { created_at: 'Mon Jul 16 18:09:21 +0800 2012' }))
    assert.equal(runs, 3)
  })

  test('an entry expires after DEDUP_TTL_MS and the bound DEDUP_MAX holds', async (t) => {
    let runs = 0
    const { app } = await startTestApp(t, { handlers: [{ on: 'text', handle: () => { runs++ } }], env: { DEDUP_MAX: '2' } })
    for (const second of ['01', '02', '03']) await sendPush(app, fixtureWith('text', { created_at: `Mon Jul 16 18:10:${second} +0800 2012` }))
    assert.equal(app.fanbot.store.size, 2)
    // The oldest was evicted: its retry is handled as new (what DEDUP_MAX trades away), the newest is still a duplicate.
    await sendPush(app, fixtureWith('text', { created_at: 'Mon Jul 16 18:10:03 +0800 2012' }))
    assert.equal(runs, 3)
    await sendPush(app, fixtureWith('text', { created_at: 'Mon Jul 16 18:10:01 +0800 2012' }))
    assert.equal(runs, 4)
  })
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createLateReplySender } from '../src/late-reply.ts'
import type { Message } from '../src/message-schema.ts'
import { TEST_TOKEN } from './helpers/config.ts'
import { captureLogs } from './helpers/logs.ts'
import { fanWrites, sentData } from './helpers/simulator-api.ts'
import { REPLY_PATH, accepted, client, setup, textMessage } from './helpers/api-client.ts'

describe('late reply', () => {
  const late = (message: Message): Parameters<ReturnType<typeof createLateReplySender>['send']>[0] =>
    ({ message, reply: { type: 'text', text: 'sorry for the wait' }, handler: 'slow-handler', dedupKey: 'key-1', receivedAt: Date.now() })

  test('sends the reply once to the fan through messages/reply, and logs it', async (t) => {
    const { fake, api, logs } = await setup(t)
    const sender = createLateReplySender({ api, logger: logs.logger })
    const message = textMessage()
    fanWrites(fake, message.sender_id)
    await sender.send(late(message))

    assert.equal(fake.calls.length, 1)
    assert.equal(fake.calls[0]?.path, REPLY_PATH)
    accepted(fake, 0)
    assert.equal(fake.calls[0]?.params.receiver_id, message.sender_id)
    assert.deepEqual(sentData(fake.calls[0]), { text: 'sorry for the wait' })
    const line = logs.lines().find((l) => l.msg === 'late reply sent')
    const facts = line?.lateReply as Record<string, unknown> | undefined
    assert.equal(facts?.handler, 'slow-handler')
    assert.equal(facts?.dedupKey, 'key-1')
    assert.equal(facts?.receiverId, message.sender_id)
    assert.equal(typeof facts?.durationMs, 'number')
  })

  test('the "late reply sent" line gives the time the fan waited since the push as durationMs, the API call as apiMs', async (t) => {
    const { fake, api, logs } = await setup(t)
    const message = textMessage()
    fanWrites(fake, message.sender_id)
    const ended: unknown[] = []
    const sender = createLateReplySender({ api, logger: logs.logger, now: () => 1_000_000 + 7000, observer: { ended: (end) => { ended.push(end) } } })
    await sender.send({ ...late(message), receivedAt: 1_000_000 })
    const facts = logs.lines().find((l) => l.msg === 'late reply sent')?.lateReply as { durationMs?: number, apiMs?: number } | undefined
    assert.equal(facts?.durationMs, 7000)
    assert.ok(typeof facts?.apiMs === 'number' && facts.apiMs < 7000)
    assert.deepEqual(ended, [{ outcome: 'sent', timeToFanMs: 7000, accountId: message.receiver_id }])
  })

  test('without a token it logs a dry run and makes no call', async (t) => {
    const { fake, api, logs } = await setup(t, { accessToken: null })
    const sender = createLateReplySender({ api, logger: logs.logger })
    await sender.send(late(textMessage()))

    assert.equal(fake.calls.length, 0)
    const line = logs.lines().find((l) => (l.lateReply as { dryRun?: unknown } | undefined)?.dryRun === true)
    assert.ok(line !== undefined, logs.text())
    assert.equal(line.level, 30)
    assert.deepEqual((line.lateReply as { reply?: unknown }).reply, { type: 'text', text: 'sorry for the wait' })
  })

  test('an expired token is logged with its errorCode and the rebind hint; send() does not reject', async (t) => {
    const { fake, api, logs } = await setup(t)
    fanWrites(fake, textMessage().sender_id)
    fake.faults.inject({ kind: 'expired-token' })
    const sender = createLateReplySender({ api, logger: logs.logger })
    await sender.send(late(textMessage()))

    assert.equal(fake.calls.length, 1)
    const line = logs.lines().find((l) => l.level === 50)
    const facts = line?.lateReply as Record<string, unknown> | undefined
    assert.equal(facts?.errorCode, 21327)
    assert.equal(facts?.code, 'WEIBO_ERR_API_REJECTED')
    assert.equal(facts?.needsRebind, true)
    assert.equal(facts?.handler, 'slow-handler')
    assert.match(String(line?.msg), /bind the callback URL again/)
    assert.ok(!logs.text().includes(TEST_TOKEN))
  })

  test('another permanent error is logged as a plain failure with its errorCode', async (t) => {
    const { fake, api, logs } = await setup(t) // the fan never wrote: Weibo refuses with 20301
    const sender = createLateReplySender({ api, logger: logs.logger })
    await sender.send(late(textMessage()))

    assert.equal(fake.calls.length, 1)
    const line = logs.lines().find((l) => l.level === 50)
    assert.equal((line?.lateReply as { errorCode?: unknown } | undefined)?.errorCode, 20301)
    assert.equal(line?.msg, 'late reply failed')
  })

  test('a transient failure is retried and the late reply still goes out once', async (t) => {
    const { fake, api, logs } = await setup(t)
    fanWrites(fake, textMessage().sender_id)
    fake.faults.inject({ kind: 'server-error', status: 502 })
    await createLateReplySender({ api, logger: logs.logger }).send(late(textMessage()))
    assert.equal(fake.calls.length, 2)
    accepted(fake, 1)
    assert.ok(logs.lines().some((l) => l.msg === 'late reply sent'))
    assert.ok(!logs.lines().some((l) => l.level === 50))
  })

  test('a network failure does not reject either', async () => {
    const logs = captureLogs()
    const api = client('http://127.0.0.1:9', logs, { maxRetries: 0 })
    await createLateReplySender({ api, logger: logs.logger }).send(late(textMessage()))
    const line = logs.lines().find((l) => l.level === 50)
    assert.equal((line?.lateReply as { code?: unknown } | undefined)?.code, 'WEIBO_ERR_API_NETWORK')
  })
})

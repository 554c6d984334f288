import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { conversation, defineHandler, text } from '../src/index.ts'
import { startTestApp } from './helpers/app.ts'
import { decodePassive, fixture, fixtureWith, sendPush } from './helpers/push.ts'

let second = 0
function push (textValue: string): string {
  second++
  return fixtureWith('text', { text: textValue, created_at: new Date(Date.UTC(2026, 2, 1, 0, 0, second)).toUTCString().replace('GMT', '+0000') })
}
const replyText = (body: string): string => body === '' ? '' : (decodePassive(body).data as { text: string }).text

function survey (now: () => number, extra: { onTimeout?: ReturnType<typeof text>, failOn?: string } = {}) {
  return conversation<{ answers: string[] }, 'ask' | 'colour' | 'size'>({
    name: 'survey',
    start: { match: '调查' },
    initial: () => ({ answers: [] }),
    timeoutMs: 60_000,
    now,
    ...(extra.onTimeout === undefined ? {} : { onTimeout: extra.onTimeout }),
    steps: {
      ask: (_message, ctx) => { ctx.conversation.next('colour'); return text('颜色？') },
      colour: (message, ctx) => {
        if (message.text === extra.failOn) throw new Error('step failed')
        ctx.conversation.data.answers.push(message.text)
        ctx.conversation.next('size')
        return text('尺码？')
      },
      size: (message, ctx) => text(`记下了：${[...ctx.conversation.data.answers, message.text].join('/')}`)
    }
  })
}
const fallback = defineHandler({ on: '*', handle: (message) => text(`fallback ${message.type}`) })

describe('conversation()', () => {
  test('steps follow each other through the fan\'s messages, and the flow ends after the last', async (t) => {
    const { app } = await startTestApp(t, { handlers: [survey(Date.now), fallback] })
    assert.equal(replyText((await sendPush(app, push('调查'))).body), '颜色？')
    assert.equal(replyText((await sendPush(app, push('红'))).body), '尺码？')
    assert.equal(replyText((await sendPush(app, push('L'))).body), '记下了：红/L')
    assert.equal(replyText((await sendPush(app, push('M'))).body), 'fallback text')
  })

  test('取消 ends it at any step', async (t) => {
    const { app } = await startTestApp(t, { handlers: [survey(Date.now), fallback] })
    await sendPush(app, push('调查'))
    assert.equal(replyText((await sendPush(app, push(' 取消 '))).body), '已取消。')
    assert.equal(replyText((await sendPush(app, push('红'))).body), 'fallback text')
  })

  test('a step times out: the late answer is handled as a new message, or told so with onTimeout', async (t) => {
    let now = 1_000_000
    const { app } = await startTestApp(t, { handlers: [survey(() => now), fallback] })
    await sendPush(app, push('调查'))
    now += 60_001
    assert.equal(replyText((await sendPush(app, push('红'))).body), 'fallback text')

    const told = await startTestApp(t, { handlers: [survey(() => now, { onTimeout: text('调查已超时') }), fallback] })
    await sendPush(told.app, push('调查'))
    now += 59_000
    assert.equal(replyText((await sendPush(told.app, push('红'))).body), '尺码？') // in time: each step waits anew
    now += 60_001
    assert.equal(replyText((await sendPush(told.app, push('L'))).body), '调查已超时')
    assert.equal(replyText((await sendPush(told.app, push('L'))).body), 'fallback text')
  })

  test('a step that throws leaves the conversation where it was: the fan can answer again', async (t) => {
    const { app } = await startTestApp(t, { handlers: [survey(Date.now, { failOn: 'boom' }), fallback] })
    await sendPush(app, push('调查'))
    assert.equal((await sendPush(app, push('boom'))).body, '')
    assert.equal(replyText((await sendPush(app, push('蓝'))).body), '尺码？')
  })

  test('the starting words again begin it anew', async (t) => {
    const { app } = await startTestApp(t, { handlers: [survey(Date.now), fallback] })
    await sendPush(app, push('调查'))
    await sendPush(app, push('红'))
    assert.equal(replyText((await sendPush(app, push('调查'))).body), '颜色？')
    assert.equal(replyText((await sendPush(app, push('绿'))).body), '尺码？')
    assert.equal(replyText((await sendPush(app, push('S'))).body), '记下了：绿/S')
  })

  test('while it waits, events still go to their own handlers', async (t) => {
    const { app } = await startTestApp(t, { handlers: [survey(Date.now), fallback] })
    await sendPush(app, push('调查'))
    assert.equal(replyText((await sendPush(app, fixture('event-follow'))).body), 'fallback event')
    assert.equal(replyText((await sendPush(app, push('红'))).body), '尺码？')
  })
})

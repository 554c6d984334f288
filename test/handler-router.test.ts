import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { normaliseHandlers } from '../src/handler-loader.ts'
import { createHandlerRouter, type HandlerRouter } from '../src/handler-router.ts'
import type { LoadedHandler } from '../src/handler.ts'
import type { Logger } from '../src/logger.ts'
import type { Message } from '../src/message-schema.ts'
import { readPush } from '../src/push-reader.ts'
import { captureLogs } from './helpers/logs.ts'
import { fixtureWith } from './helpers/push.ts'

const FIXTURES = [
  'text', 'position', 'voice', 'image',
  'event-follow', 'event-unfollow', 'event-subscribe', 'event-scan', 'event-scan-follow', 'event-click', 'event-view',
  'mention-status', 'mention-comment'
] as const

const EVENT_FIXTURES = FIXTURES.filter((name) => name.startsWith('event-'))

/** A validated message from a fixture, as the dispatcher would get it. */
function message (name: string, changes: Record<string, unknown> = {}): Message {
  const reading = readPush(fixtureWith(name, changes))
  assert.equal(reading.kind, 'message')
  if (reading.kind !== 'message') throw new Error('unreachable')
  return reading.message
}

/** Handlers as one file would export them, in load order; `name` identifies each in assertions. */
function handlers (...specs: Array<Record<string, unknown>>): LoadedHandler[] {
  return normaliseHandlers({ file: 'inline.ts', exported: specs.map((spec) => ({ handle: () => undefined, ...spec })) })
}

function router (specs: Array<Record<string, unknown>>, logger: Logger = captureLogs().logger): HandlerRouter {
  return createHandlerRouter(handlers(...specs), logger)
}

describe('createHandlerRouter: triggers', () => {
  const byType = router([
    { name: 'text', on: 'text' },
    { name: 'position', on: 'position' },
    { name: 'voice', on: 'voice' },
    { name: 'image', on: 'image' },
    { name: 'event', on: 'event' },
    { name: 'mention', on: 'mention' }
  ])
  const expected: Record<typeof FIXTURES[number], string> = {
    text: 'text',
    position: 'position',
    voice: 'voice',
    image: 'image',
    'event-follow': 'event',
    'event-unfollow': 'event',
    'event-subscribe': 'event',
    'event-scan': 'event',
    'event-scan-follow': 'event',
    'event-click': 'event',
    'event-view': 'event',
    'mention-status': 'mention',
    'mention-comment': 'mention'
  }
  for (const name of FIXTURES) {
    test(`a ${name} push goes to the '${expected[name]}' handler`, () => {
      assert.equal(byType.select(message(name))?.name, expected[name])
    })
  }

  test("'event:follow' takes follow events only", () => {
    const follow = router([{ name: 'welcome', on: 'event:follow' }])
    assert.equal(follow.select(message('event-follow'))?.name, 'welcome')
    for (const name of EVENT_FIXTURES.filter((n) => n !== 'event-follow')) {
      assert.equal(follow.select(message(name)), undefined, name)
    }
    assert.equal(follow.select(message('text', { text: 'follow' })), undefined)
  })

  test("'event:scan_follow' is not taken by 'event:scan', and the reverse", () => {
    const scans = router([{ name: 'scan', on: 'event:scan' }, { name: 'scan_follow', on: 'event:scan_follow' }])
    assert.equal(scans.select(message('event-scan'))?.name, 'scan')
    assert.equal(scans.select(message('event-scan-follow'))?.name, 'scan_follow')
  })

  test("'mention:comment' takes comment mentions, not status mentions", () => {
    const comments = router([{ name: 'comments', on: 'mention:comment' }])
    assert.equal(comments.select(message('mention-comment'))?.name, 'comments')
    assert.equal(comments.select(message('mention-status')), undefined)
  })

  test('a subtype trigger and the plain type trigger split the work by order', () => {
    const split = router([{ name: 'welcome', on: 'event:follow' }, { name: 'other-events', on: 'event' }])
    assert.equal(split.select(message('event-follow'))?.name, 'welcome')
    assert.equal(split.select(message('event-click'))?.name, 'other-events')
  })

  test('a handler listing several triggers takes each of them and nothing else', () => {
    const media = router([{ name: 'media', on: ['image', 'voice', 'event:click'] }])
    assert.equal(media.select(message('image'))?.name, 'media')
    assert.equal(media.select(message('voice'))?.name, 'media')
    assert.equal(media.select(message('event-click'))?.name, 'media')
    assert.equal(media.select(message('text')), undefined)
    assert.equal(media.select(message('event-view')), undefined)
  })

  test("'*' takes every kind of push", () => {
    const all = router([{ name: 'fallback', on: '*' }])
    for (const name of FIXTURES) assert.equal(all.select(message(name))?.name, 'fallback', name)
  })

  test("'*' runs after every specific handler, even with a higher priority", () => {
    const r = router([
      { name: 'fallback', on: '*', priority: 100 },
      { name: 'texts', on: 'text', priority: -5 },
      { name: 'follows', on: 'event:follow', priority: -10 }
    ])
    assert.equal(r.select(message('text'))?.name, 'texts')
    assert.equal(r.select(message('event-follow'))?.name, 'follows')
    assert.equal(r.select(message('image'))?.name, 'fallback')
    assert.deepEqual(r.handlers.map((h) => h.name), ['texts', 'follows', 'fallback'])
  })

  test("'*' takes what the specific handlers' match refused", () => {
    const r = router([{ name: 'fallback', on: '*' }, { name: 'hi', on: 'text', match: 'hi' }])
    assert.equal(r.select(message('text', { text: 'hi' }))?.name, 'hi')
    assert.equal(r.select(message('text', { text: 'bye' }))?.name, 'fallback')
  })

  test("several '*' handlers are ordered among themselves by priority", () => {
    const r = router([{ name: 'low', on: '*' }, { name: 'high', on: '*', priority: 1 }])
    assert.equal(r.select(message('voice'))?.name, 'high')
  })

  test('no handler for the push → undefined', () => {
    assert.equal(router([{ name: 'texts', on: 'text' }]).select(message('image')), undefined)
    assert.equal(createHandlerRouter([], captureLogs().logger).select(message('text')), undefined)
  })
})

describe('createHandlerRouter: order', () => {
  test('a higher priority wins over an earlier load order', () => {
    const r = router([
      { name: 'first', on: 'text' },
      { name: 'urgent', on: 'text', priority: 10 },
      { name: 'negative', on: 'text', priority: -1 }
    ])
    assert.equal(r.select(message('text'))?.name, 'urgent')
    assert.deepEqual(r.handlers.map((h) => h.name), ['urgent', 'first', 'negative'])
  })

  test('equal priorities go by load order (not by name)', () => {
    const r = router([{ name: 'zeta', on: 'text', priority: 3 }, { name: 'alpha', on: 'text', priority: 3 }])
    assert.equal(r.select(message('text'))?.name, 'zeta')
  })

  test('load order across files (firstOrder) decides ties, whatever order the list is in', () => {
    const later = normaliseHandlers({ file: 'b.ts', exported: { on: 'text', handle: () => undefined }, firstOrder: 1 })
    const earlier = normaliseHandlers({ file: 'a.ts', exported: { on: 'text', handle: () => undefined }, firstOrder: 0 })
    const r = createHandlerRouter([...later, ...earlier], captureLogs().logger)
    assert.equal(r.select(message('text'))?.name, 'a')
  })

  test('a handler whose match refuses lets the next one in order take the push', () => {
    const r = router([
      { name: 'exact', on: 'text', match: 'menu', priority: 2 },
      { name: 'any-text', on: 'text' }
    ])
    assert.equal(r.select(message('text', { text: 'menu' }))?.name, 'exact')
    assert.equal(r.select(message('text', { text: 'something else' }))?.name, 'any-text')
  })
})

describe('createHandlerRouter: match', () => {
  test('a string matches the whole text exactly, not a substring and not another case', () => {
    const r = router([{ name: 'hi', on: 'text', match: 'hi' }])
    assert.equal(r.select(message('text', { text: 'hi' }))?.name, 'hi')
    assert.equal(r.select(message('text', { text: 'hi there' })), undefined)
    assert.equal(r.select(message('text', { text: 'oh hi' })), undefined)
    assert.equal(r.select(message('text', { text: 'Hi' })), undefined)
    assert.equal(r.select(message('text', { text: 'hi ' })), undefined)
  })

  test("a string match applies to an event's text too", () => {
    const r = router([{ name: 'dy', on: 'event:subscribe', match: 'dy' }])
    assert.equal(r.select(message('event-subscribe', { text: 'dy' }))?.name, 'dy')
    assert.equal(r.select(message('event-subscribe', { text: '订阅事件消息' })), undefined)
  })

  test('a RegExp is tested on the text', () => {
    const r = router([{ name: 'greet', on: 'text', match: /^(hello|你好)/i }])
    assert.equal(r.select(message('text', { text: 'Hello world' }))?.name, 'greet')
    assert.equal(r.select(message('text', { text: '你好呀' }))?.name, 'greet')
    assert.equal(r.select(message('text', { text: 'say hello' })), undefined)
  })

  test('a /g RegExp matches the same text twice in a row (its lastIndex does not leak)', () => {
    const r = router([{ name: 'global', on: 'text', match: /hi/g }])
    const push = message('text', { text: 'hi' })
    assert.equal(r.select(push)?.name, 'global')
    assert.equal(r.select(push)?.name, 'global')
    assert.equal(r.select(message('text', { text: 'oh hi' }))?.name, 'global')
  })

  test('a /y RegExp matches the same text twice in a row', () => {
    const r = router([{ name: 'sticky', on: 'text', match: /hi/y }])
    const push = message('text', { text: 'hi' })
    assert.equal(r.select(push)?.name, 'sticky')
    assert.equal(r.select(push)?.name, 'sticky')
  })

  test('a function gets the whole message and decides', () => {
    const seen: Message[] = []
    const r = router([{
      name: 'groupon',
      on: 'event:click',
      match: (m: Message) => { seen.push(m); return m.type === 'event' && m.data.key === 'get_groupon' }
    }])
    const click = message('event-click', { data: { subtype: 'click', key: 'get_groupon' } })
    assert.equal(r.select(click)?.name, 'groupon')
    assert.equal(seen[0], click)
    assert.equal(r.select(message('event-click', { data: { subtype: 'click', key: 'other' } })), undefined)
  })

  test('a match function is not called for pushes its triggers do not take', () => {
    let calls = 0
    const r = router([{ name: 'texts', on: 'text', match: () => { calls++; return true } }])
    assert.equal(r.select(message('image')), undefined)
    assert.equal(calls, 0)
  })

  test('a match function that throws is skipped, logged with the handler name, and the next handler is chosen', () => {
    const logs = captureLogs()
    const r = router([
      { name: 'fragile', on: 'text', priority: 1, match: () => { throw new Error('boom in match') } },
      { name: 'steady', on: 'text' }
    ], logs.logger)
    assert.equal(r.select(message('text'))?.name, 'steady')

    const errors = logs.lines().filter((line) => line.level === 50)
    assert.equal(errors.length, 1)
    const [line] = errors
    assert.equal(line?.handler, 'fragile')
    assert.match(String(line?.msg), /match function threw/)
    assert.equal((line?.err as { message?: unknown } | undefined)?.message, 'boom in match')
  })

  test('a match function that throws, with nothing after it → undefined, not a crash', () => {
    const logs = captureLogs()
    const r = router([{ name: 'fragile', on: '*', match: () => { throw new TypeError('nope') } }], logs.logger)
    assert.equal(r.select(message('voice')), undefined)
    assert.equal(logs.lines().filter((line) => line.level === 50 && line.handler === 'fragile').length, 1)
  })
})

describe('createHandlerRouter: account filters', () => {
  test('whether a push has a candidate, or needs a session, is judged per receiving account, in any order', () => {
    // The answer is cached per kind of push: a push to another account first must not decide it for this one.
    const filtered = router([{ name: 'for-111', on: 'text', accounts: ['111'], session: true }])
    const other = message('text', { receiver_id: 222 })
    const mine = message('text', { receiver_id: 111 })
    assert.equal(filtered.hasCandidate(other), false)
    assert.equal(filtered.candidateNeedsSession(other), false)
    assert.equal(filtered.hasCandidate(mine), true)
    assert.equal(filtered.candidateNeedsSession(mine), true)
    assert.equal(filtered.hasCandidate(other), false)
    assert.equal(filtered.select(mine)?.name, 'for-111')
  })
})

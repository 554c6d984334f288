import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { isFanbotError, type FanbotError } from '../src/errors.ts'
import { readPush } from '../src/push-reader.ts'
import { passiveReplyBody, replyPayload } from '../src/reply-encoding.ts'
import { articles, position, text, validateReply, type Article, type ValidReply } from '../src/reply.ts'
import { decodePassive, fixture } from './helpers/push.ts'

const ARTICLE: Article = {
  display_name: '两个故事',
  summary: '今天讲两个故事…',
  image: 'http://storage.mcp.weibo.cn/0JlIv.jpg',
  url: 'https://e.weibo.com/story'
}

const articleList = (count: number): Article[] =>
  Array.from({ length: count }, (_, index) => ({ ...ARTICLE, display_name: `故事 ${index + 1}` }))

/** Validates a reply that must be refused, and returns the error. */
function refused (value: unknown): FanbotError {
  let caught: unknown
  assert.throws(() => validateReply(value), (error) => { caught = error; return true })
  assert.ok(isFanbotError(caught, 'WEIBO_ERR_REPLY_INVALID'), `expected WEIBO_ERR_REPLY_INVALID, got ${String(caught)}`)
  return caught
}

/** Validates a reply that must be accepted. */
function accepted (value: unknown): ValidReply {
  const reply = validateReply(value)
  assert.ok(reply !== undefined)
  return reply
}

describe('reply builders', () => {
  test('text() builds a text reply', () => {
    assert.deepEqual(text('你好'), { type: 'text', text: '你好' })
  })

  test('articles() takes the articles spread or as one array', () => {
    const [first, second] = articleList(2) as [Article, Article]
    const expected = { type: 'articles', articles: [first, second] }
    assert.deepEqual(articles(first, second), expected)
    assert.deepEqual(articles([first, second]), expected)
    assert.deepEqual(articles(first), { type: 'articles', articles: [first] })
  })

  test('position() builds a position reply', () => {
    assert.deepEqual(position(116.308586, '39.982525'), { type: 'position', longitude: 116.308586, latitude: '39.982525' })
  })

  test('what the builders make passes validation', () => {
    assert.deepEqual(accepted(text('你好')), { type: 'text', text: '你好' })
    assert.deepEqual(accepted(articles(ARTICLE)), { type: 'articles', articles: [ARTICLE] })
    assert.deepEqual(accepted(position('116.308586', '39.982525')), { type: 'position', longitude: '116.308586', latitude: '39.982525' })
  })
})

describe('validateReply', () => {
  test('undefined and null mean "no reply"', () => {
    assert.equal(validateReply(undefined), undefined)
    assert.equal(validateReply(null), undefined)
  })

  test('a refused reply is a WEIBO_ERR_REPLY_INVALID with status 500', () => {
    assert.equal(refused(text('')).statusCode, 500)
  })

  test('anything that is not a reply object is refused', () => {
    for (const value of ['hello', 42, true, [], {}, { text: 'hi' }]) refused(value)
  })

  test('an unknown type is refused', () => {
    refused({ type: 'image', vfid: '1' })
    refused({ type: 'TEXT', text: 'hi' })
  })

  test('unknown keys are refused', () => {
    refused({ type: 'text', text: 'hi', receiver_id: '1' })
    refused({ type: 'articles', articles: [ARTICLE], extra: true })
    refused({ type: 'articles', articles: [{ ...ARTICLE, picurl: ARTICLE.image }] })
    refused({ type: 'position', longitude: '1', latitude: '1', accuracy: 5 })
  })
})

describe('validateReply: text', () => {
  test('empty or whitespace-only text is refused', () => {
    for (const content of ['', ' ', '\n\t ']) refused(text(content))
  })

  test('non-string text is refused', () => {
    refused({ type: 'text', text: 42 })
    refused({ type: 'text' })
  })

  test('less than 300 characters (Weibo: 小于300个汉字): 299 CJK characters pass, 300 are refused', () => {
    assert.equal(accepted(text('微'.repeat(299))).type, 'text')
    const error = refused(text('微'.repeat(300)))
    assert.match(error.message, /at most 299 characters \(it has 300\)/)
  })

  test('length counts code points: 299 emoji (598 UTF-16 units) pass, 300 are refused', () => {
    const emoji = '😀'.repeat(299)
    assert.equal(emoji.length, 598)
    assert.deepEqual(accepted(text(emoji)), { type: 'text', text: emoji })
    refused(text('😀'.repeat(300)))
  })

  test('text is kept exactly, surrounding spaces included', () => {
    assert.deepEqual(accepted(text('  你好\n')), { type: 'text', text: '  你好\n' })
  })
})

describe('validateReply: articles', () => {
  test('1 and 8 articles pass', () => {
    assert.equal(accepted(articles(articleList(1))).type, 'articles')
    assert.equal(accepted(articles(articleList(8))).type, 'articles')
  })

  test('0 and 9 articles are refused', () => {
    refused(articles([]))
    refused(articles())
    refused(articles(articleList(9)))
  })

  test('an article without display_name, or with an empty one, is refused', () => {
    const { display_name: _, ...withoutName } = ARTICLE
    refused({ type: 'articles', articles: [withoutName] })
    refused(articles({ ...ARTICLE, display_name: '' }))
  })

  test('an article whose image is not an http(s) URL is refused', () => {
    for (const image of ['ftp://storage.mcp.weibo.cn/0JlIv.jpg', 'javascript:alert(1)', '0JlIv.jpg', '']) {
      const error = refused(articles({ ...ARTICLE, image }))
      assert.match(error.message, /image/)
    }
  })

  test('an article without url, or with a non-http url, is refused', () => {
    const { url: _, ...withoutUrl } = ARTICLE
    const error = refused({ type: 'articles', articles: [withoutUrl] })
    assert.match(error.message, /url/)
    refused(articles({ ...ARTICLE, url: 'weibo://open' }))
  })

  test('the one bad article among good ones is named', () => {
    const list = articleList(3)
    list[2] = { ...ARTICLE, image: 'ftp://x/y.jpg' }
    assert.match(refused(articles(list)).message, /articles\[2\]\.image/)
  })
})

describe('validateReply: position', () => {
  test('numbers are converted to strings', () => {
    assert.deepEqual(accepted(position(116.308586, 39.982525)), { type: 'position', longitude: '116.308586', latitude: '39.982525' })
    assert.deepEqual(accepted(position(-180, 90)), { type: 'position', longitude: '-180', latitude: '90' })
  })

  test('strings are kept as given', () => {
    assert.deepEqual(accepted(position('116.308586', '-39.982525')), { type: 'position', longitude: '116.308586', latitude: '-39.982525' })
  })

  test('coordinates out of range are refused, each named', () => {
    const error = refused(position(180.5, -90.1))
    assert.match(error.message, /longitude/)
    assert.match(error.message, /latitude/)
    refused(position('181', '0'))
    refused(position('0', '91'))
  })

  test('non-numeric coordinates are refused', () => {
    for (const bad of ['east', '', ' 1', '1e2', '0x10', '1.', Number.NaN, Number.POSITIVE_INFINITY]) {
      refused(position(bad, '0'))
      refused(position('0', bad))
    }
    refused({ type: 'position', longitude: null, latitude: '0' })
    refused({ type: 'position', longitude: '0' })
  })
})

describe('passiveReplyBody', () => {
  const push = readPush(fixture('text'))
  assert.ok(push.kind === 'message')
  const message = push.message

  const body = (reply: ValidReply, ids = { accountId: message.receiver_id, fanId: message.sender_id }): string =>
    passiveReplyBody({ reply, ...ids })

  test('swaps the ids: from our account (the push receiver) to the fan (the push sender)', () => {
    const decoded = decodePassive(body(accepted(text('收到'))))
    assert.equal(decoded.sender_id, '1902538057')
    assert.equal(decoded.receiver_id, '2489518277')
    assert.equal(decoded.sender_id, message.receiver_id)
    assert.equal(decoded.receiver_id, message.sender_id)
  })

  test('a text reply: result true, type text, data the URL-encoded JSON payload', () => {
    const raw = body(accepted(text('中文消息')))
    const parsed = JSON.parse(raw) as Record<string, unknown>
    assert.deepEqual(Object.keys(parsed).sort(), ['data', 'receiver_id', 'result', 'sender_id', 'type'])
    assert.equal(parsed.result, true)
    assert.equal(parsed.type, 'text')
    // The encoded example of Weibo's documentation, byte for byte.
    assert.equal(parsed.data, '%7B%22text%22%3A%22%E4%B8%AD%E6%96%87%E6%B6%88%E6%81%AF%22%7D')
    assert.deepEqual(decodePassive(raw).data, { text: '中文消息' })
  })

  test('data is fully URL-encoded, so special characters survive the round trip', () => {
    const content = 'a&b=c+d 100% "引号" \\ \n 😀 /?#'
    const raw = body(accepted(text(content)))
    const data = (JSON.parse(raw) as { data: string }).data
    assert.match(data, /^[A-Za-z0-9%\-_.!~*'()]*$/)
    assert.deepEqual(JSON.parse(decodeURIComponent(data)), { text: content })
  })

  test('an articles reply carries the articles', () => {
    const list = articleList(3)
    const decoded = decodePassive(body(accepted(articles(list))))
    assert.equal(decoded.type, 'articles')
    assert.deepEqual(decoded.data, { articles: list })
  })

  test('a position reply carries string coordinates', () => {
    const decoded = decodePassive(body(accepted(position(116.308586, 39.982525))))
    assert.equal(decoded.type, 'position')
    assert.deepEqual(decoded.data, { longitude: '116.308586', latitude: '39.982525' })
  })

  test('19-digit ids come out as exact strings', () => {
    const raw = fixture('text')
      .replace('"sender_id":2489518277', '"sender_id":9223372036854775807')
      .replace('"receiver_id":1902538057', '"receiver_id":1234567890123456789')
    const reading = readPush(raw)
    assert.ok(reading.kind === 'message')
    const reply = body(accepted(text('hi')), { accountId: reading.message.receiver_id, fanId: reading.message.sender_id })
    assert.match(reply, /"sender_id":"1234567890123456789"/)
    assert.match(reply, /"receiver_id":"9223372036854775807"/)
    const decoded = decodePassive(reply)
    assert.equal(decoded.sender_id, '1234567890123456789')
    assert.equal(decoded.receiver_id, '9223372036854775807')
  })
})

describe('replyPayload', () => {
  test('is the type-specific JSON object, without the type', () => {
    assert.deepEqual(replyPayload(accepted(text('hi'))), { text: 'hi' })
    assert.deepEqual(replyPayload(accepted(articles(ARTICLE))), { articles: [ARTICLE] })
    assert.deepEqual(replyPayload(accepted(position(1, 2))), { longitude: '1', latitude: '2' })
  })
})

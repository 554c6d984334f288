import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createConversation } from '../../src/simulator/conversation.ts'
import { FAKE_API_ERRORS } from '../../src/simulator/fake-api-errors.ts'
import { API_TOKEN, fanMessage, postForm, replyFields, sendReply, startFakeApi, weiboError } from '../helpers/simulator-api.ts'

const ARTICLE = { display_name: '标题', summary: '摘要', image: 'https://example.com/a.jpg', url: 'https://example.com/a' }

interface Case {
  name: string
  /** Changes to a valid text reply's form fields (undefined removes a field). */
  fields?: Record<string, string | undefined>
  /** Sends this raw body with this content type instead of a form. */
  raw?: { contentType?: string, body: string }
  status: number
  errorCode: number
  /** Part of the `error` text a developer needs to see. */
  says: RegExp
}

const CASES: Case[] = [
  { name: 'a wrong token', fields: { access_token: 'not-the-token' }, status: 401, errorCode: 21332, says: /invalid_access_token/ },
  { name: 'no token', fields: { access_token: undefined }, status: 401, errorCode: 21301, says: /access_token/ },
  { name: 'an empty token', fields: { access_token: '' }, status: 401, errorCode: 21301, says: /access_token/ },
  {
    name: 'a JSON body',
    raw: { contentType: 'application/json', body: JSON.stringify(replyFields()) },
    status: 400,
    errorCode: 10007,
    says: /x-www-form-urlencoded: got application\/json/
  },
  { name: 'no Content-Type', raw: { body: new URLSearchParams(replyFields()).toString() }, status: 400, errorCode: 10007, says: /no Content-Type/ },
  { name: 'no receiver_id', fields: { receiver_id: undefined }, status: 400, errorCode: 10016, says: /receiver_id/ },
  { name: 'a long-connection id instead of receiver_id', fields: { receiver_id: undefined, id: '1211260020031346' }, status: 400, errorCode: 10016, says: /long-connection/ },
  { name: 'a receiver_id that is not a uid', fields: { receiver_id: 'fan-42' }, status: 400, errorCode: 10017, says: /receiver_id/ },
  { name: 'no type', fields: { type: undefined }, status: 400, errorCode: 10016, says: /type/ },
  { name: 'an unknown type', fields: { type: 'image' }, status: 400, errorCode: 10017, says: /type must be one of text, articles, position/ },
  { name: 'no data', fields: { data: undefined }, status: 400, errorCode: 10016, says: /data/ },
  { name: 'data that is not JSON', fields: { data: '{text:hi}' }, status: 400, errorCode: 10008, says: /data is not JSON/ },
  {
    name: 'data URL-encoded twice',
    fields: { data: encodeURIComponent(JSON.stringify({ text: 'hi' })) },
    status: 400,
    errorCode: 10008,
    says: /URL-encoded twice/
  },
  { name: 'data JSON-encoded twice', fields: { data: JSON.stringify(JSON.stringify({ text: 'hi' })) }, status: 400, errorCode: 10008, says: /JSON-encoded twice/ },
  { name: 'data that is an array', fields: { data: '[]' }, status: 400, errorCode: 10008, says: /JSON object/ },
  { name: 'the payload of another type', fields: { data: JSON.stringify({ articles: [ARTICLE] }) }, status: 400, errorCode: 10008, says: /type text/ },
  { name: 'a payload with an extra key', fields: { data: JSON.stringify({ type: 'text', text: 'hi' }) }, status: 400, errorCode: 10008, says: /type/ },
  { name: 'empty text', fields: { data: JSON.stringify({ text: '' }) }, status: 400, errorCode: 20008, says: /empty/ },
  { name: 'blank text', fields: { data: JSON.stringify({ text: ' \n ' }) }, status: 400, errorCode: 20008, says: /empty/ },
  { name: '300 characters of text (less than 300 allowed)', fields: { data: JSON.stringify({ text: '字'.repeat(300) }) }, status: 400, errorCode: 20013, says: /got 300 characters, less than 300 allowed/ },
  { name: '0 articles', fields: { type: 'articles', data: JSON.stringify({ articles: [] }) }, status: 400, errorCode: 10008, says: /at least 1 article/ },
  {
    name: '9 articles',
    fields: { type: 'articles', data: JSON.stringify({ articles: Array.from({ length: 9 }, () => ARTICLE) }) },
    status: 400,
    errorCode: 10008,
    says: /at most 8 articles/
  },
  {
    name: 'an article without an http(s) image',
    fields: { type: 'articles', data: JSON.stringify({ articles: [{ ...ARTICLE, image: 'ftp://x/y.jpg' }] }) },
    status: 400,
    errorCode: 10008,
    says: /image/
  },
  {
    name: 'coordinates as numbers',
    fields: { type: 'position', data: JSON.stringify({ longitude: 116.3, latitude: 39.9 }) },
    status: 400,
    errorCode: 10008,
    says: /longitude/
  },
  {
    name: 'a latitude out of range',
    fields: { type: 'position', data: JSON.stringify({ longitude: '116.3', latitude: '91' }) },
    status: 400,
    errorCode: 10008,
    says: /latitude/
  },
  { name: 'save_sender_box other than 0 or 1', fields: { save_sender_box: 'yes' }, status: 400, errorCode: 10017, says: /save_sender_box must be 0 or 1/ }
]

describe('fake Weibo API: messages/reply refusals', () => {
  for (const testCase of CASES) {
    it(`refuses ${testCase.name} with ${testCase.errorCode}, changing nothing`, async (t) => {
      const conversation = createConversation()
      const { api } = startFakeApi(t, { conversation, rules: { repliesPerWindow: 1 } })
      api.recordFanActivity(fanMessage())
      const response = testCase.raw === undefined
        ? await sendReply(api, testCase.fields)
        : await api.app.inject({
          method: 'POST',
          url: '/2/messages/reply.json',
          headers: testCase.raw.contentType === undefined ? {} : { 'content-type': testCase.raw.contentType },
          payload: testCase.raw.body
        })
      assert.equal(response.statusCode, testCase.status, response.body)
      const body = weiboError(response)
      assert.deepEqual(Object.keys(body), ['request', 'error_code', 'error'])
      assert.equal(body.request, '/2/messages/reply.json')
      assert.equal(body.error_code, testCase.errorCode)
      assert.match(body.error, testCase.says)
      assert.equal(conversation.entries().length, 1, 'only the fan\'s message')
      assert.equal((await sendReply(api)).statusCode, 200, 'a refused call uses no quota')
    })
  }

  it('accepts 299 characters (less than 300), counted as code points; refuses 300 with 20013', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    const text = '😀'.repeat(299) // 598 UTF-16 units, 299 characters
    const response = await sendReply(api, { data: JSON.stringify({ text }) })
    assert.equal(response.statusCode, 200, response.body)
    const tooLong = await sendReply(api, { data: JSON.stringify({ text: '😀'.repeat(300) }) })
    assert.equal(weiboError(tooLong).error_code, 20013)
  })

  it('decodes the form once: + is a space and %2B a plus', async (t) => {
    const { api } = startFakeApi(t)
    api.recordFanActivity(fanMessage())
    const response = await postForm(api, '/2/messages/reply.json', {}, { headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    assert.equal(weiboError(response).error_code, 21301)
    const raw = await api.app.inject({
      method: 'POST',
      url: '/2/messages/reply.json',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `access_token=${API_TOKEN}&receiver_id=${fanMessage().sender_id}&type=text&data=${encodeURIComponent('{"text":"1+1')}+%2B+1%22%7D`
    })
    assert.equal(raw.statusCode, 200, raw.body)
    assert.deepEqual(raw.json().data, { text: '1+1 + 1' })
  })

  it('answers an unknown path or method with Weibo\'s 10020 / 10021', async (t) => {
    const { api } = startFakeApi(t)
    const unknown = await api.app.inject({ method: 'POST', url: `/2/messages/send.json?access_token=${API_TOKEN}` })
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), { request: '/2/messages/send.json', error_code: 10020, error: 'request api not found: /2/messages/send.json' })
    const wrongMethod = await api.app.inject({ method: 'GET', url: '/2/messages/reply.json' })
    assert.equal(wrongMethod.statusCode, 405)
    assert.equal(weiboError(wrongMethod).error_code, 10021)
  })

  it('refuses a body over the limit with 10018', async (t) => {
    const { api } = startFakeApi(t)
    const response = await postForm(api, '/2/messages/reply.json', replyFields({ data: 'x'.repeat(1_100_000) }))
    assert.equal(response.statusCode, 413)
    assert.equal(weiboError(response).error_code, 10018)
  })
})

describe('fake Weibo API: error registry', () => {
  it('gives every error a Weibo code, a 4xx/5xx status and a text', () => {
    for (const [name, spec] of Object.entries(FAKE_API_ERRORS)) {
      assert.match(String(spec.errorCode), /^[12]\d{4}$/, name)
      assert.ok(spec.status >= 400 && spec.status <= 599, name)
      assert.ok(spec.error.length > 0, name)
    }
  })
})

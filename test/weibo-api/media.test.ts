import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ImageMessage } from '../../src/message-schema.ts'
import type { WeiboApiError } from '../../src/weibo-api/api-error.ts'
import { TEST_TOKEN } from '../helpers/config.ts'
import { refused, setup } from '../helpers/weibo-api.ts'

test('media.download returns the bytes, content type and filename', async (t) => {
  const { fake, api, logs } = await setup(t)
  const image = await api.media.download('1234')
  assert.ok(image.data.length > 0)
  assert.match(image.contentType, /^image\//)
  assert.ok(image.filename !== undefined)
  const voice = await api.media.download('1235')
  assert.match(voice.contentType, /audio|amr/)
  assert.equal(fake.calls[0]?.path, '/2/mss/msget')
  assert.equal(fake.calls[0]?.params.fid, '1234')
  assert.ok(!logs.text().includes(TEST_TOKEN))
})

test('media.downloadTo streams the file to disk', async (t) => {
  const { api } = await setup(t)
  const dir = await mkdtemp(join(tmpdir(), 'fanbot-media-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const path = join(dir, 'image')
  const result = await api.media.downloadTo('2468', path)
  const bytes = await readFile(path)
  assert.equal(bytes.length, result.bytes)
  assert.deepEqual(bytes, (await api.media.download('2468')).data)
})

test('downloadMedia(message) uses data.tovfid', async (t) => {
  const { fake, api } = await setup(t)
  const message = { type: 'image', data: { vfid: '11', tovfid: '4242' } } as unknown as ImageMessage
  await api.downloadMedia(message)
  assert.equal(fake.calls[0]?.params.fid, '4242')
})

test('an unknown fid is Weibo\'s refusal, not a file', async (t) => {
  const { api } = await setup(t)
  const error = await refused<WeiboApiError>(api.media.download('0000'), 'WEIBO_ERR_API_REJECTED')
  assert.equal(error.errorCode, 20305)
})

test('a file over the size limit is refused, and downloadTo leaves no file', async (t) => {
  const { api } = await setup(t, { mediaMaxBytes: 10 })
  await refused(api.media.download('1234'), 'WEIBO_ERR_API_MEDIA_TOO_LARGE')
  const dir = await mkdtemp(join(tmpdir(), 'fanbot-media-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const path = join(dir, 'big')
  await refused(api.media.downloadTo('1234', path), 'WEIBO_ERR_API_MEDIA_TOO_LARGE')
  await assert.rejects(stat(path))
})

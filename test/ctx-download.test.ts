import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineHandler, text, type DownloadedMedia } from '../src/index.ts'
import { createTestKit } from '../src/testing.ts'
import { fixture } from './helpers/push.ts'

test('ctx.download() fetches the file of the voice or image push being handled', async (t) => {
  const files: DownloadedMedia[] = []
  const kit = await createTestKit({
    env: { REPLY_DEADLINE_MS: '3000' },
    handlers: [defineHandler({ on: 'voice', async handle (_message, ctx) { files.push(await ctx.download()); return text('ok') } })]
  })
  t.after(kit.close)
  await kit.sendRaw(fixture('voice'))
  assert.equal(files.length, 1)
  assert.equal(files[0]?.contentType, 'audio/amr')
  assert.equal(files[0]?.data.subarray(0, 6).toString('latin1'), '#!AMR\n')
})

test('ctx.download() on a message without a file is a coded error, not a call to Weibo', async (t) => {
  const errors: unknown[] = []
  const kit = await createTestKit({
    handlers: [defineHandler({
      on: 'text',
      async handle (_message, ctx) {
        try {
          await ctx.download()
        } catch (error) {
          errors.push(error)
        }
      }
    })]
  })
  t.after(kit.close)
  await kit.send({ type: 'text', text: '你好' })
  assert.equal((errors[0] as { code?: string }).code, 'WEIBO_ERR_API_INVALID_REQUEST')
  assert.match((errors[0] as Error).message, /needs a voice or image message/)
  assert.equal(kit.api.calls.filter((call) => call.path === '/2/mss/msget').length, 0)
})

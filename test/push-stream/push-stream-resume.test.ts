import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { createFileSinceIdStore } from '../../src/push-stream/file-since-id-store.ts'
import { waitFor } from '../helpers/deferred.ts'
import { captureLogs } from '../helpers/logs.ts'
import { recordLine, startFakeStream, startTestClient } from '../helpers/push-stream.ts'

test('a restart resumes from the position saved in the file: the first request carries the stored since_id', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'fanbot-resume-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = path.join(dir, 'state', 'push-since-id')
  const fake = await startFakeStream(t)
  const { logger } = captureLogs()

  const before = startTestClient(t, fake, { sinceIds: createFileSinceIdStore({ path: file, logger }) })
  const first = await fake.request(1)
  assert.equal(first.sinceId, null)
  await first.write(recordLine('4404160103598340001') + recordLine('4404160103598340002'))
  await waitFor(() => before.records.length === 2)
  await before.stream.close()
  assert.equal(await readFile(file, 'utf8'), '4404160103598340002\n')

  const after = startTestClient(t, fake, { sinceIds: createFileSinceIdStore({ path: file, logger }) })
  const resumed = await fake.request(2)
  assert.equal(resumed.sinceId, '4404160103598340002')
  await resumed.write(recordLine('4404160103598340003'))
  await waitFor(() => after.records.length === 1)
  // Closed here, not only by the helper's cleanup: closing saves the position, and a save after the cleanup that
  // removes the folder above made its state/ again (a folder left in the system's temp dir by every run).
  await after.stream.close()
  assert.equal(await readFile(file, 'utf8'), '4404160103598340003\n')
})

import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { createCoalescedWriter } from '../../src/push-stream/coalesced-writer.ts'
import { createFileSinceIdStore } from '../../src/push-stream/file-since-id-store.ts'
import { compareIds } from '../../src/push-stream/since-id-store.ts'
import { deferred, waitFor, type Deferred } from '../helpers/deferred.ts'
import { captureLogs } from '../helpers/logs.ts'
import { linesWithCode } from '../helpers/push-stream.ts'

async function tempDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fanbot-since-id-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

describe('compareIds', () => {
  test('orders 64-bit decimal ids exactly, where numbers would round', () => {
    assert.equal(compareIds('9007199254740993', '9007199254740992'), 1)
    assert.equal(compareIds('99', '100'), -1)
    assert.equal(compareIds('18446744073709551615', '18446744073709551614'), 1)
    assert.equal(compareIds('123', '123'), 0)
    assert.equal(compareIds('0123', '123'), 0)
    assert.deepEqual(['100', '99', '1000', '101'].sort(compareIds), ['99', '100', '101', '1000'])
  })
})

describe('coalesced writes', () => {
  test('one write in flight; saves made meanwhile become a single write of the newest id', async () => {
    const writes: Array<{ id: string, done: Deferred<void> }> = []
    const writer = createCoalescedWriter({
      write: async (id) => { const done = deferred(); writes.push({ id, done }); await done.promise },
      onFailing: () => {},
      onRecovered: () => {}
    })
    writer.save('1')
    for (let id = 2; id <= 1000; id++) writer.save(String(id))
    assert.deepEqual(writes.map((write) => write.id), ['1'])
    writes[0]?.done.resolve()
    await waitFor(() => writes.length === 2)
    assert.equal(writes[1]?.id, '1000')
    writes[1]?.done.resolve()
    await writer.flush()
    assert.equal(writes.length, 2)
  })

  test('only moves forward', async () => {
    const written: string[] = []
    const writer = createCoalescedWriter({ write: async (id) => { written.push(id) }, onFailing: () => {}, onRecovered: () => {} })
    writer.save('100')
    await writer.flush()
    writer.save('99')
    writer.save('100')
    await writer.flush()
    assert.deepEqual(written, ['100'])
  })
})

describe('file since-id store', () => {
  test('a missing file is a first run; a saved id comes back after a restart, as "<id>\\n"', async (t) => {
    const dir = await tempDir(t)
    const file = path.join(dir, 'deeper', 'since-id')
    const { logger } = captureLogs()
    const first = createFileSinceIdStore({ path: file, logger })
    assert.equal(await first.load(), undefined)
    first.save('4404160103598340123')
    await first.close()
    assert.equal(await readFile(file, 'utf8'), '4404160103598340123\n', 'the folder was created')
    assert.equal(await createFileSinceIdStore({ path: file, logger }).load(), '4404160103598340123')
  })

  test('a burst of saves ends with the newest id on disk and no temp file left (atomic rename)', async (t) => {
    const dir = await tempDir(t)
    const file = path.join(dir, 'since-id')
    const store = createFileSinceIdStore({ path: file, logger: captureLogs().logger })
    for (let id = 1; id <= 500; id++) store.save(String(1_000_000 + id))
    store.save('5') // older: ignored
    await store.flush()
    assert.equal(await readFile(file, 'utf8'), '1000500\n')
    assert.deepEqual(await readdir(dir), ['since-id'])
  })

  test('a file holding garbage: a warning, and a start like a first run', async (t) => {
    const dir = await tempDir(t)
    const file = path.join(dir, 'since-id')
    await writeFile(file, '{"oops": true}\n')
    const logs = captureLogs()
    assert.equal(await createFileSinceIdStore({ path: file, logger: logs.logger }).load(), undefined)
    const warning = logs.lines().find((line) => line.level === 40)
    assert.match(String(warning?.msg), /not a data id/)
  })

  test('an unwritable place: one coded error per failure streak, no throw, and it heals on a later save', async (t) => {
    const dir = await tempDir(t)
    const blocker = path.join(dir, 'not-a-folder')
    await writeFile(blocker, 'a file where the folder should be')
    const file = path.join(blocker, 'since-id')
    const logs = captureLogs()
    const store = createFileSinceIdStore({ path: file, logger: logs.logger })
    store.save('10')
    await store.flush()
    store.save('11')
    await store.flush()
    const errors = linesWithCode(logs, 'WEIBO_ERR_STREAM_SINCE_ID_UNWRITABLE')
    assert.equal(errors.length, 1, 'logged once while it keeps failing')
    assert.equal(errors[0]?.level, 50)
    assert.match(String(errors[0]?.msg), /writable/)
    assert.match(JSON.stringify(errors[0]?.err), /ENOTDIR|EEXIST/)

    await rm(blocker)
    store.save('12')
    await store.close()
    assert.equal(await readFile(file, 'utf8'), '12\n')
    assert.ok(logs.lines().some((line) => line.msg === 'push stream position (since_id) saved again'))
  })
})

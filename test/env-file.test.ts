import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { loadDotEnv } from '../src/env-file.ts'
import { tempDir } from './helpers/cli.ts'

test('.env fills what the environment does not set; a variable already set wins', async (t) => {
  const dir = await tempDir(t, 'fanbot-env-file-')
  const file = path.join(dir, '.env')
  await writeFile(file, '# a comment\nFANBOT_TEST_FROM_FILE=from file\nFANBOT_TEST_SET="from file too"\n')
  process.env.FANBOT_TEST_SET = 'from the environment'
  t.after(() => {
    delete process.env.FANBOT_TEST_SET
    delete process.env.FANBOT_TEST_FROM_FILE
  })
  assert.equal(loadDotEnv(file), file)
  assert.equal(process.env.FANBOT_TEST_FROM_FILE, 'from file')
  assert.equal(process.env.FANBOT_TEST_SET, 'from the environment')
})

test('no file: nothing happens', async (t) => {
  const dir = await tempDir(t, 'fanbot-env-file-')
  assert.equal(loadDotEnv(path.join(dir, '.env')), undefined)
})

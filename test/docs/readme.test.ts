import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { CONFIG_KEYS } from '../../src/config.ts'
import { ERRORS } from '../../src/errors.ts'
import { REPO_ROOT } from '../helpers/server-process.ts'

// The README is the users' reference: what the code defines, it must document.
const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8')

test('the README\'s configuration table lists every variable the config schema reads', () => {
  const missing = CONFIG_KEYS.filter((key) => !new RegExp(`^\\| \`${key}\` \\|`, 'm').test(readme))
  assert.deepEqual(missing, [])
})

test('the README\'s error table lists every error code, with its HTTP status', () => {
  const missing = Object.entries(ERRORS).filter(([code, spec]) => !readme.includes(`| \`${code}\` | ${spec.status} |`))
  assert.deepEqual(missing.map(([code]) => code), [])
})

test('the README names every CLI command', () => {
  for (const command of ['init', 'serve', 'dev', 'send', 'verify', 'replay', 'chat', 'outbox list', 'outbox retry']) assert.match(readme, new RegExp(`\`${command}`), command)
})

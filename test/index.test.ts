import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import * as internals from '../src/internals.ts'
import * as publicApi from '../src/index.ts'

/** The names a module's source exports (values and types), read from its `export { … }` and `export type { … }` lines. */
function exportedNames (file: string): string[] {
  const source = readFileSync(new URL(file, import.meta.url), 'utf8')
  const names: string[] = []
  for (const match of source.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const item of (match[1] ?? '').split(',')) {
      const name = item.trim().replace(/^type /, '').split(/\s+as\s+/).pop()?.trim()
      if (name !== undefined && name !== '') names.push(name)
    }
  }
  return names
}

const PUBLIC = exportedNames('../src/index.ts')
const INTERNAL = exportedNames('../src/internals.ts')

test('docs/api.md names every export of the public API, and no internal one', () => {
  const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8')
  const undocumented = PUBLIC.filter((name) => !doc.includes(`\`${name}\``))
  assert.deepEqual(undocumented, [])
  const leaked = INTERNAL.filter((name) => doc.includes(`\`${name}\``))
  assert.deepEqual(leaked, [])
})

test('the public API and the internals share no name, and their runtime values are what their sources list', () => {
  assert.deepEqual(PUBLIC.filter((name) => INTERNAL.includes(name)), [])
  for (const [module, names] of [[publicApi, PUBLIC], [internals, INTERNAL]] as const) {
    for (const key of Object.keys(module)) assert.ok(names.includes(key), `${key} is exported but not listed`)
  }
  // What a handler author needs most is a value at run time, not only a type.
  for (const name of ['defineHandler', 'text', 'articles', 'position', 'WeiboApiError', 'ReplyRefusedError', 'buildApp', 'loadConfig']) {
    assert.equal(typeof (publicApi as Record<string, unknown>)[name], 'function', name)
  }
})

import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { FanbotError, type ErrorCode } from '../src/errors.ts'
import { isHandlerFile, loadHandlers, normaliseHandlers } from '../src/handler-loader.ts'
import type { HandlerContext } from '../src/handler.ts'
import type { Message } from '../src/message-schema.ts'

const SRC_INDEX = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href

const PLAIN = "export default { on: 'text', handle: () => undefined }\n"

/** A fresh folder under the OS temp dir holding `files`, removed when the test ends. */
async function handlerDir (t: TestContext, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fanbot-handlers-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content)
  return dir
}

/** Runs `action` and checks it fails with `code` and a message holding every fragment. */
async function expectFanbotError (action: () => unknown, code: ErrorCode, ...fragments: string[]): Promise<FanbotError> {
  let caught: unknown
  try {
    await action()
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof FanbotError, `expected a FanbotError, got ${String(caught)}`)
  assert.equal(caught.code, code)
  for (const fragment of fragments) {
    assert.ok(caught.message.includes(fragment), `message ${JSON.stringify(caught.message)} should include ${JSON.stringify(fragment)}`)
  }
  return caught
}

describe('loadHandlers', () => {
  test('loads .ts, .js and .mjs modules in file-name order, with names from the file name', async (t) => {
    const dir = await handlerDir(t, {
      'c-third.js': "export default { on: 'image', handle: () => ({ type: 'text', text: 'from js' }) }\n",
      'a-first.ts': "const greeting: string = 'from ts'\nexport default { on: 'text', handle: () => ({ type: 'text', text: greeting }) }\n",
      'b-second.mjs': "export default [\n  { on: 'event:follow', handle: () => undefined },\n  { name: 'named', on: ['mention', 'voice'], priority: 5, handle: () => undefined }\n]\n"
    })
    const handlers = await loadHandlers(dir)

    assert.deepEqual(handlers.map((h) => h.name), ['a-first', 'b-second#0', 'named', 'c-third'])
    assert.deepEqual(handlers.map((h) => h.order), [0, 1, 2, 3])
    assert.deepEqual(handlers.map((h) => path.basename(h.file)), ['a-first.ts', 'b-second.mjs', 'b-second.mjs', 'c-third.js'])
    assert.deepEqual(handlers.map((h) => h.triggers), [['text'], ['event:follow'], ['mention', 'voice'], ['image']])
    assert.deepEqual(handlers.map((h) => h.priority), [0, 0, 5, 0])
    assert.equal(handlers[0]?.file, path.join(dir, 'a-first.ts'))
    // The loaded functions are the modules' own: the .ts one was compiled and runs.
    assert.deepEqual(await handlers[0]?.handle({} as Message, {} as HandlerContext), { type: 'text', text: 'from ts' })
    assert.deepEqual(await handlers[3]?.handle({} as Message, {} as HandlerContext), { type: 'text', text: 'from js' })
  })

  test('a handler file needs no import at all: a plain object default export loads', async (t) => {
    const dir = await handlerDir(t, { 'plain.mjs': "export default { on: '*', match: /x/, handle () { return undefined } }\n" })
    const [handler, ...rest] = await loadHandlers(dir)
    assert.equal(rest.length, 0)
    assert.equal(handler?.name, 'plain')
    assert.deepEqual(handler?.triggers, ['*'])
    assert.ok(handler?.match instanceof RegExp)
  })

  test('a handler file may import defineHandler and reply builders from the package', async (t) => {
    const dir = await handlerDir(t, {
      'greet.ts': `import { defineHandler, text } from ${JSON.stringify(SRC_INDEX)}\n` +
        "export default defineHandler({ on: 'text', match: 'hi', handle: () => text('hello') })\n"
    })
    const [handler] = await loadHandlers(dir)
    assert.equal(handler?.name, 'greet')
    assert.equal(handler?.match, 'hi')
    assert.deepEqual(await handler?.handle({} as Message, {} as HandlerContext), { type: 'text', text: 'hello' })
  })

  test('skips files starting with _ or ., tests, specs, declarations, JSON and Markdown', async (t) => {
    const broken = 'this is not a module at all (\n'
    const dir = await handlerDir(t, {
      'only.ts': PLAIN,
      '_shared.ts': broken,
      '.hidden.js': broken,
      'only.test.ts': broken,
      'only.spec.js': broken,
      'types.d.ts': broken,
      'package.json': '{"type":"module"}\n',
      'settings.json': broken,
      'README.md': broken
    })
    const handlers = await loadHandlers(dir)
    assert.deepEqual(handlers.map((h) => h.name), ['only'])
  })

  test('an empty folder loads no handlers', async (t) => {
    const dir = await handlerDir(t, { 'README.md': '# handlers\n' })
    assert.deepEqual(await loadHandlers(dir), [])
  })

  test('a relative folder is resolved from the working directory', async (t) => {
    const dir = await handlerDir(t, { 'rel.mjs': PLAIN })
    const handlers = await loadHandlers(path.relative(process.cwd(), dir))
    assert.deepEqual(handlers.map((h) => h.file), [path.join(dir, 'rel.mjs')])
  })

  test('a missing folder fails with WEIBO_ERR_HANDLER_DIR_MISSING naming it', async (t) => {
    const dir = await handlerDir(t, {})
    const missing = path.join(dir, 'nope')
    await expectFanbotError(() => loadHandlers(missing), 'WEIBO_ERR_HANDLER_DIR_MISSING', missing)
  })

  test('a file given as the folder fails with WEIBO_ERR_HANDLER_DIR_MISSING', async (t) => {
    const dir = await handlerDir(t, { 'one.mjs': PLAIN })
    const file = path.join(dir, 'one.mjs')
    await expectFanbotError(() => loadHandlers(file), 'WEIBO_ERR_HANDLER_DIR_MISSING', file)
  })

  describe('invalid modules fail with WEIBO_ERR_HANDLER_INVALID naming the file and the problem', () => {
    const cases: Array<{ title: string, source: string, problem: string[], index?: number }> = [
      { title: 'no default export', source: "export const handler = { on: 'text', handle () {} }\n", problem: ['no default export'] },
      { title: 'an empty array', source: 'export default []\n', problem: ['empty array'] },
      { title: 'on missing', source: 'export default { handle () {} }\n', problem: ['→ at on'] },
      { title: 'an empty on array', source: 'export default { on: [], handle () {} }\n', problem: ['must list at least one trigger → at on'] },
      { title: "an unknown trigger 'txt'", source: "export default { on: 'txt', handle () {} }\n", problem: ['unknown trigger "txt"', '→ at on'] },
      { title: 'handle not a function', source: "export default { on: 'text', handle: 'hi' }\n", problem: ['must be a function (message, ctx) => reply → at handle'] },
      { title: 'handle missing', source: "export default { on: 'text' }\n", problem: ['must be a function (message, ctx) => reply → at handle'] },
      { title: 'match of a wrong type', source: "export default { on: 'text', match: 42, handle () {} }\n", problem: ['must be a string, a RegExp or a function → at match'] },
      { title: 'a default export that is not an object', source: "export default 'text'\n", problem: ['expected a handler object, got string', 'export default { on:'] },
      { title: 'a misspelt key (refused, not dropped)', source: "export default { on: 'text', macth: /^价格$/, handle () {} }\n", problem: ['unknown key "macth" (did you mean "match"?)'] },
      { title: 'a key that is no near miss', source: "export default { on: 'text', reply: 'hi', handle () {} }\n", problem: ['unknown key "reply"; a handler has only name, on, match, priority, session, accounts, handle'] },
      { title: 'a misspelt trigger', source: "export default { on: 'txt', handle () {} }\n", problem: ["unknown trigger \"txt\" (did you mean 'text'?)"] },
      {
        title: 'a function exported instead of a handler object',
        source: "export default function (message) { return { type: 'text', text: 'hi' } }\n",
        problem: ['the export is a function, but a handler is an object', "export default { on: 'text', handle (message, ctx)"]
      },
      {
        title: 'a named export that looks like a handler, and no default',
        source: "export const greet = { on: 'text', handle () {} }\nexport const VERSION = 2\n",
        problem: ['no default export, but "greet" looks like a handler', 'export default greet']
      },
      {
        title: 'a bad entry in an array (named with its index)',
        source: "export default [{ on: 'text', handle () {} }, { on: 'image', handle () {} }, { on: 'text', handle: null }]\n",
        problem: ['must be a function (message, ctx) => reply → at handle'],
        index: 2
      }
    ]
    for (const { title, source, problem, index } of cases) {
      test(title, async (t) => {
        const dir = await handlerDir(t, { 'a-good.mjs': PLAIN, 'bad.mjs': source })
        const file = path.join(dir, 'bad.mjs')
        const where = index === undefined ? `${file}:` : `${file}[${index}]:`
        await expectFanbotError(() => loadHandlers(dir), 'WEIBO_ERR_HANDLER_INVALID', where, ...problem)
      })
    }

    test('every problem of every file is reported in one error, the files that load fine not named', async (t) => {
      const dir = await handlerDir(t, {
        'a-good.mjs': PLAIN,
        'b-list.mjs': "export default [{ on: 'text', handle () {} }, { on: 'txt', handle () {} }, { handle: 1 }]\n",
        'c-typo.mjs': "export default { on: 'text', macth: 'hi', priorty: 2, handle () {} }\n",
        'd-broken.js': "export default { on: 'text', handle () { return ( } }\n"
      })
      const error = await expectFanbotError(() => loadHandlers(dir), 'WEIBO_ERR_HANDLER_INVALID', '4 problems:',
        `${path.join(dir, 'b-list.mjs')}[1]: unknown trigger "txt"`,
        `${path.join(dir, 'b-list.mjs')}[2]: `, 'is required: a trigger such as', 'must be a function (message, ctx) => reply → at handle',
        `${path.join(dir, 'c-typo.mjs')}: unknown key "macth" (did you mean "match"?); unknown key "priorty" (did you mean "priority"?)`,
        `${path.join(dir, 'd-broken.js')}: `)
      assert.ok(!error.message.includes('a-good'), error.message)
      assert.ok(!error.message.includes('[0]'), error.message)
      assert.equal(error.message.split('\n').length, 5, 'one line to introduce, then one per problem')
    })

    test('a problem is said once: no raw zod JSON after the readable text', async (t) => {
      const dir = await handlerDir(t, { 'bad.mjs': "export default { on: 'text', handle: 'hi' }\n" })
      const error = await expectFanbotError(() => loadHandlers(dir), 'WEIBO_ERR_HANDLER_INVALID')
      assert.ok(!error.message.includes('"code"') && !error.message.includes('✖'), error.message)
      assert.equal(error.message.split('must be a function').length, 2, error.message)
    })
  })

  describe('modules that cannot be imported fail with WEIBO_ERR_HANDLER_IMPORT_FAILED naming the file', () => {
    const cases: Array<{ title: string, fileName: string, source: string, detail?: string }> = [
      { title: 'a syntax error in .js', fileName: 'broken.js', source: "export default { on: 'text', handle () { return ( } }\n" },
      { title: 'a syntax error in .ts', fileName: 'broken.ts', source: "export default { on: 'text', handle (): { return 1 } }\n" },
      {
        title: 'a module throwing at import',
        fileName: 'throws.mjs',
        source: "throw new Error('database not reachable')\nexport default { on: 'text', handle () {} }\n",
        detail: 'database not reachable'
      },
      {
        title: 'a module importing a package that does not exist',
        fileName: 'deps.mjs',
        source: "import x from 'no-such-package-fanbot-test'\nexport default { on: 'text', handle: () => x }\n",
        detail: 'no-such-package-fanbot-test'
      }
    ]
    for (const { title, fileName, source, detail } of cases) {
      test(title, async (t) => {
        const dir = await handlerDir(t, { [fileName]: source })
        const file = path.join(dir, fileName)
        const error = await expectFanbotError(() => loadHandlers(dir), 'WEIBO_ERR_HANDLER_IMPORT_FAILED', file, ...(detail === undefined ? [] : [detail]))
        assert.ok(error.cause !== undefined, 'the import error is kept as cause')
      })
    }
  })
})

describe('normaliseHandlers', () => {
  const handle = (): undefined => undefined

  test('a single inline handler gets the file name (without extension) as its name and defaults', () => {
    const [handler, ...rest] = normaliseHandlers({ file: '/bots/welcome.ts', exported: { on: 'event:follow', handle } })
    assert.equal(rest.length, 0)
    assert.equal(handler?.name, 'welcome')
    assert.equal(handler?.file, '/bots/welcome.ts')
    assert.deepEqual(handler?.triggers, ['event:follow'])
    assert.equal(handler?.priority, 0)
    assert.equal(handler?.order, 0)
    assert.equal(handler?.match, undefined)
    assert.equal(handler?.handle, handle)
  })

  test('an array gives name#index names and consecutive orders from firstOrder', () => {
    const match = (): boolean => true
    const handlers = normaliseHandlers({
      file: 'inline.js',
      exported: [
        { on: 'text', match: 'hi', handle },
        { name: 'custom', on: ['image', 'voice'], match, priority: -2, handle },
        { on: '*', match: /^x/, handle }
      ],
      firstOrder: 10
    })
    assert.deepEqual(handlers.map((h) => h.name), ['inline#0', 'custom', 'inline#2'])
    assert.deepEqual(handlers.map((h) => h.order), [10, 11, 12])
    assert.deepEqual(handlers.map((h) => h.priority), [0, -2, 0])
    assert.deepEqual(handlers.map((h) => h.triggers), [['text'], ['image', 'voice'], ['*']])
    assert.equal(handlers[0]?.match, 'hi')
    assert.equal(handlers[1]?.match, match)
    assert.ok(handlers[2]?.match instanceof RegExp)
  })

  test('accepts every documented trigger', () => {
    const triggers = [
      'text', 'position', 'voice', 'image', 'event', 'mention',
      'event:follow', 'event:unfollow', 'event:subscribe', 'event:unsubscribe', 'event:scan', 'event:scan_follow',
      'event:click', 'event:view', 'mention:status', 'mention:comment', '*'
    ]
    const [handler] = normaliseHandlers({ file: 'all.ts', exported: { on: triggers, handle } })
    assert.deepEqual(handler?.triggers, triggers)
  })

  test('rejects invalid inline handlers the same way as modules', async () => {
    await expectFanbotError(() => normaliseHandlers({ file: 'inline.ts', exported: [] }), 'WEIBO_ERR_HANDLER_INVALID', 'inline.ts', 'empty array')
    await expectFanbotError(() => normaliseHandlers({ file: 'inline.ts', exported: { on: 'event:like', handle } }),
      'WEIBO_ERR_HANDLER_INVALID', 'inline.ts:', 'unknown trigger "event:like"')
    await expectFanbotError(() => normaliseHandlers({ file: 'inline.ts', exported: { on: 'text', priority: Number.POSITIVE_INFINITY, handle } }),
      'WEIBO_ERR_HANDLER_INVALID', 'inline.ts:', '→ at priority')
    await expectFanbotError(() => normaliseHandlers({ file: 'inline.ts', exported: { name: '', on: 'text', handle } }),
      'WEIBO_ERR_HANDLER_INVALID', 'inline.ts:', '→ at name')
    await expectFanbotError(() => normaliseHandlers({ file: 'inline.ts', exported: [{ on: 'text', handle }, { on: 'text', match: {}, handle }] }),
      'WEIBO_ERR_HANDLER_INVALID', 'inline.ts[1]:', '→ at match')
  })
})

describe('isHandlerFile', () => {
  const table: Array<[string, boolean]> = [
    ['welcome.ts', true],
    ['welcome.js', true],
    ['welcome.mjs', true],
    ['my_handler.ts', true],
    ['latest.ts', true],
    ['contest.js', true],
    ['10-first.ts', true],
    ['_shared.ts', false],
    ['_helpers.mjs', false],
    ['.hidden.ts', false],
    ['.eslintrc.js', false],
    ['welcome.test.ts', false],
    ['welcome.test.mjs', false],
    ['welcome.spec.js', false],
    ['welcome.spec.ts', false],
    ['types.d.ts', false],
    ['settings.json', false],
    ['package.json', false],
    ['README.md', false],
    ['welcome.ts.bak', false],
    ['welcome.tsx', false],
    ['welcome.cjs', false],
    ['welcome', false]
  ]
  for (const [fileName, expected] of table) {
    test(`${fileName} → ${expected ? 'loaded' : 'skipped'}`, () => {
      assert.equal(isHandlerFile(fileName), expected)
    })
  }
})

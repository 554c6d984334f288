import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { oneLineOf, runCli, runInProcess } from '../helpers/cli.ts'

// Every one of these is refused before anything is sent: the URL points at a port nobody listens on (9, discard).
const USAGE_ERRORS: Array<[string, string[], RegExp]> = [
  ['no command', [], /^weibo-fanbot: no command given/],
  ['an unknown command', ['frob'], /^weibo-fanbot: unknown command "frob"/],
  ['an unknown option', ['send', 'text', '--colour', 'red'], /^weibo-fanbot send: unknown option --colour/],
  ['an option without its value', ['verify', '--url'], /^weibo-fanbot verify: --url needs a value/],
  ['send without a type', ['send'], /^weibo-fanbot send: missing the push type \(one of text, position/],
  ['a bad type', ['send', 'fax'], /^weibo-fanbot send: push type "fax" is not one of text, position, voice, image, event, mention/],
  ['an event with a bad subtype', ['send', 'event', '--subtype', 'poke'], /^weibo-fanbot send: event subtype "poke" is not one of follow, unfollow/],
  ['--lat that is not a number', ['send', 'position', '--lat', 'north'], /^weibo-fanbot send: --lat must be a decimal number from -90 to 90/],
  ['a second word not quoted', ['send', 'text', 'hello', 'there'], /^weibo-fanbot send: unexpected argument "there"/],
  ['chat with a bad port', ['chat', '--api-port', 'eighty'], /^weibo-fanbot chat: --api-port must be a port number/],
  ['an invalid environment', ['send', 'text'], /^weibo-fanbot send: WEIBO_ERR_CONFIG_INVALID: .*PORT/]
]

describe('usage errors: exit 2, one line on stderr pointing at --help, nothing on stdout', { concurrency: true }, () => {
  // The process around a usage error (its exit code, stderr flushed before it exits, nothing else written), once;
  // each error's own line and code, in-process (the same entry, without a process each).
  test('as a process: an unknown option', async () => {
    const run = await runCli(['send', 'text', '--colour', 'red'], { env: { PORT: '9' } })
    assert.equal(run.code, 2, run.stderr)
    assert.equal(run.stdout, '')
    assert.equal(oneLineOf(run.stderr), 'weibo-fanbot send: unknown option --colour; see weibo-fanbot --help')
  })

  for (const [name, args, expected] of USAGE_ERRORS) {
    test(name, async () => {
      const env: Record<string, string> = name === 'an invalid environment' ? { PORT: 'not-a-port' } : { PORT: '9' }
      const run = await runInProcess(args, { env })
      assert.equal(run.code, 2, run.stderr)
      assert.equal(run.stdout, '')
      const line = oneLineOf(run.stderr)
      assert.match(line, expected)
      assert.match(line, /; see weibo-fanbot --help$/)
    })
  }
})

describe('help and version', { concurrency: true }, () => {
  test('--help lists every command and the exit codes, exit 0', async () => {
    const run = await runCli(['--help'])
    assert.equal(run.code, 0)
    for (const command of ['send <type> [text]', 'verify', 'replay <file.json>', 'chat']) assert.ok(run.stdout.includes(`  ${command}`), command)
    assert.match(run.stdout, /Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 /)
  })

  test('a command\'s own help: send --help, -h, and help chat', async () => {
    const [send, short, chat] = await Promise.all([runInProcess(['send', '--help']), runInProcess(['verify', '-h']), runInProcess(['help', 'chat'])])
    assert.match(send.stdout, /^Usage: weibo-fanbot send <type> \[text\]/)
    assert.match(send.stdout, /--subtype NAME/)
    assert.match(short.stdout, /^Usage: weibo-fanbot verify/)
    assert.match(chat.stdout, /\/position LAT LON/)
    assert.deepEqual([send.code, short.code, chat.code], [0, 0, 0])
  })

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    const run = await runInProcess(['--version'])
    assert.equal(run.code, 0)
    assert.equal(run.stdout, `${version}\n`)
  })
})

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { REPO_ROOT } from '../helpers/server-process.ts'

// No YAML parser is worth a dependency for one file: check the lines an operator relies on.
const compose = readFileSync(`${REPO_ROOT}docker-compose.yml`, 'utf8')

test('docker-compose.yml builds the bot from this Dockerfile, with the env file and the port', () => {
  assert.match(compose, /^services:\n {2}bot:\n {4}build: \.$/m)
  assert.match(compose, /^ {4}env_file: \.env$/m)
  assert.match(compose, /^ {6}- "3000:3000"$/m)
})

test('compose gives SIGTERM time to drain (stop_grace_period above the drain delay)', () => {
  const grace = /stop_grace_period: (\d+)s/.exec(compose)
  const drain = /SHUTDOWN_DRAIN_DELAY_MS: "(\d+)"/.exec(compose)
  assert.ok(grace !== null && drain !== null)
  assert.ok(Number(grace[1]) * 1000 > Number(drain[1]) + 10_000)
})

test('the scale profile runs two replicas on one Redis that keeps the outbox across restarts', () => {
  const replica = compose.slice(compose.indexOf('  bot-replica:'))
  assert.match(replica, /profiles: \[scale\]/)
  assert.match(replica, /REDIS_URL: redis:\/\/redis:6379/)
  assert.match(replica, /replicas: 2/)
  const redis = compose.slice(compose.indexOf('  redis:'), compose.indexOf('  bot-replica:'))
  assert.match(redis, /profiles: \[scale\]/)
  assert.match(redis, /--appendonly", "yes"/)
})

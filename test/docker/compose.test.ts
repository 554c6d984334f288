import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { parse } from 'yaml'
import { REPO_ROOT } from '../helpers/server-process.ts'

interface Service {
  build?: string
  image?: string
  profiles?: string[]
  env_file?: string
  environment?: Record<string, string>
  ports?: string[]
  stop_grace_period?: string
  command?: string[]
  healthcheck?: { test: string[] }
  deploy?: { replicas?: number }
  depends_on?: Record<string, { condition: string }> | string[]
}

// The compose file read as data, as `docker compose` reads it.
const compose = parse(readFileSync(`${REPO_ROOT}docker-compose.yml`, 'utf8')) as { services: Record<string, Service> }
const { services } = compose

/** What `docker compose --profile <profile> up` starts: services without profiles, and those of the profile. */
function started (profile: string): Record<string, Service> {
  return Object.fromEntries(Object.entries(services).filter(([, service]) => service.profiles === undefined || service.profiles.includes(profile)))
}

/** Bot processes a profile runs (a service's deploy.replicas, 1 by default). */
function bots (profile: string): number {
  return Object.values(started(profile)).filter((service) => service.build === '.')
    .reduce((sum, service) => sum + (service.deploy?.replicas ?? 1), 0)
}

test('every service belongs to a profile: `single` and `scale` are each the whole topology', () => {
  for (const [name, service] of Object.entries(services)) assert.ok(service.profiles !== undefined && service.profiles.length > 0, name)
  assert.deepEqual(Object.keys(started('single')).sort(), ['bot'])
  assert.deepEqual(Object.keys(started('scale')).sort(), ['bot-replica', 'redis'])
})

test('--profile scale runs exactly the two replicas the operations guide describes, all on Redis (no bot with its own stream position)', () => {
  assert.equal(bots('scale'), 2)
  const operations = readFileSync(`${REPO_ROOT}docs/operations.md`, 'utf8')
  assert.match(operations, /`docker compose --profile scale up` runs two/)
  for (const service of Object.values(started('scale')).filter((candidate) => candidate.build === '.')) {
    assert.equal(service.environment?.REDIS_URL, 'redis://redis:6379')
  }
  assert.equal(bots('single'), 1)
  assert.equal(started('single').bot?.environment?.REDIS_URL, undefined)
})

test('the replicas wait for a healthy Redis, which keeps the outbox across restarts', () => {
  const redis = services.redis
  assert.deepEqual(redis?.healthcheck?.test, ['CMD', 'redis-cli', 'ping'])
  assert.deepEqual(redis?.command, ['redis-server', '--appendonly', 'yes'])
  assert.deepEqual(services['bot-replica']?.depends_on, { redis: { condition: 'service_healthy' } })
})

test('the bot is built from this Dockerfile, with the env file and the port', () => {
  assert.equal(services.bot?.build, '.')
  assert.equal(services.bot?.env_file, '.env')
  assert.deepEqual(services.bot?.ports, ['3000:3000'])
})

test('compose gives SIGTERM time to drain (stop_grace_period above the drain delay)', () => {
  for (const name of ['bot', 'bot-replica']) {
    const service = services[name]
    const grace = Number(/^(\d+)s$/.exec(service?.stop_grace_period ?? '')?.[1])
    const drain = Number(service?.environment?.SHUTDOWN_DRAIN_DELAY_MS)
    assert.ok(grace * 1000 > drain + 10_000, name)
  }
})

import { loadConfig, type Config } from '../../src/config.ts'

export const TEST_SECRET = 'test-app-secret-xyz'
export const TEST_TOKEN = 'test-access-token-abc'

/** A config for tests: verification on with TEST_SECRET, silent logs, short deadlines, fast retries. */
export function testConfig (overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    WEIBO_APP_SECRET: TEST_SECRET,
    REPLY_DEADLINE_MS: '100',
    HANDLER_TIMEOUT_MS: '5000',
    WEIBO_API_RETRY_MIN_MS: '1',
    WEIBO_API_TIMEOUT_MS: '2000',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...overrides
  })
}

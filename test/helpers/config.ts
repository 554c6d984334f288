import { loadConfig, type Config } from '../../src/config.ts'

export const TEST_SECRET = 'test-app-secret-xyz'
export const TEST_TOKEN = 'test-access-token-abc'

/**
 * A config for tests: verification on with TEST_SECRET, silent logs, short deadlines, fast retries. Overload
 * shedding is off: a test process compiling TypeScript on a busy machine blocks its event loop for a second and would
 * be shed (503) for it; the shedding itself has its own test, which turns it on.
 */
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
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...overrides
  })
}

import { loadConfig, type Config, type Environment } from '../config.ts'
import { urlOption } from './args.ts'

/** Where a command sends, and the secret it signs with (undefined: unsigned requests). */
export interface Target {
  url: string
  secret: string | undefined
}

/** Reads the configuration once, and only if a command needs it: `--url` and `--secret` given need none. */
export function lazyConfig (env: Environment): () => Config {
  let config: Config | undefined
  return () => {
    config ??= loadConfig(env)
    return config
  }
}

/** The local server of the same configuration: http://127.0.0.1:PORT + CALLBACK_PATH. */
export function defaultCallbackUrl (config: Config): string {
  return `http://127.0.0.1:${config.port}${config.callbackPath}`
}

/**
 * `--url` defaults to the server this environment would start; `--secret` to WEIBO_APP_SECRET. An empty
 * `--secret=` sends unsigned, to see that a server refuses it.
 */
export function resolveTarget (values: { url?: string | undefined, secret?: string | undefined }, config: () => Config): Target {
  const url = values.url === undefined ? defaultCallbackUrl(config()) : urlOption('url', values.url)
  const secret = values.secret === undefined ? config().appSecret : values.secret === '' ? undefined : values.secret
  return { url, secret }
}

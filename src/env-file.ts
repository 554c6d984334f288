import path from 'node:path'

/**
 * Fills `process.env` from `.env` in the working directory, with Node's own parser (`process.loadEnvFile`, Node
 * 20.12 and later), before the configuration is read. A variable already in the environment wins over the file, as
 * with `node --env-file`, so a deployment's real settings are never overridden by a stray file. No file: nothing
 * happens. Only the entry points (the server, the CLI) call this; the configuration is still read in one place.
 *
 * Returns the file read, or undefined.
 */
export function loadDotEnv (file = '.env'): string | undefined {
  if (typeof process.loadEnvFile !== 'function') return undefined // Node before 20.12: export the variables instead
  const resolved = path.resolve(file)
  try {
    process.loadEnvFile(resolved)
    return resolved
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined
    throw error
  }
}

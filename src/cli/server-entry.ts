import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The server's entry module beside this CLI: `src/main.ts` in a checkout (run through tsx), `dist/src/main.js` in the
 * installed package (compiled at `npm pack`). Same name, this file's own extension.
 */
export function serverEntry (): string {
  const here = fileURLToPath(import.meta.url)
  return path.join(path.dirname(here), '..', `main${path.extname(here)}`)
}

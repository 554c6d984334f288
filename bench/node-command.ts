import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

const stripping = new Map<string, boolean>()

/**
 * The flags before `src/main.ts` that the Docker CMD amounts to on `node`: none where Node strips types itself
 * (22.18+, 24: the image's `CMD ["node", "src/main.ts"]`), tsx's loader on older Node (20, where dev runs tsx).
 */
export function serverCommand (node: string): string[] {
  let strips = stripping.get(node)
  if (strips === undefined) {
    strips = execFileSync(node, ['-p', 'process.features.typescript !== undefined'], { encoding: 'utf8' }).trim() === 'true'
    stripping.set(node, strips)
  }
  return strips ? [] : ['--import', 'tsx']
}

export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  return typeof address === 'object' && address !== null ? address.port : 0
}

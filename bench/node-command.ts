import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const stripping = new Map<string, boolean>()

/**
 * The flags before `src/main.ts` to run the sources on `node`: none where Node strips types itself (22.18+, 24),
 * tsx's loader on older Node (20, where dev runs tsx). The image runs the compiled `src/main.js` (`mainCommand`).
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

/** How scenarios 5 and 6 start the server: `args` after `node`, in `cwd`, with the handlers of `handlersDir`. */
export interface MainCommand {
  args: string[]
  cwd: string
  /** Where the workload's one handler is, for that layout. */
  workloadHandlersDir: string
  label: string
}

const IMAGE_DIR = fileURLToPath(new URL('../image/', import.meta.url))
const REPO = fileURLToPath(new URL('../', import.meta.url))
let imageBuilt = false

/**
 * The image's layout, as the Dockerfile's build stage makes it: src, routes and handlers compiled to image/
 * (tsconfig.image.json) and the src/index.ts re-export; the workload's handler compiled beside them. Built once.
 */
export function buildImage (): void {
  if (imageBuilt) return
  rmSync(IMAGE_DIR, { recursive: true, force: true })
  execFileSync('npm', ['run', '--silent', 'build:image'], { cwd: REPO, stdio: 'inherit' })
  writeFileSync(`${IMAGE_DIR}src/index.ts`, "export * from './index.js'\n")
  mkdirSync(`${IMAGE_DIR}workload-handlers`)
  const source = readFileSync(`${REPO}bench/workload-handlers/ok.ts`, 'utf8')
  writeFileSync(`${IMAGE_DIR}workload-handlers/ok.js`, ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText)
  imageBuilt = true
}

/**
 * `image`: the Docker image's way, `node src/main.js` in the compiled image/ (see buildImage). Otherwise the
 * sources: `src/main.ts`, natively where Node strips types, with tsx's loader on Node 20.
 */
export function mainCommand (node: string, image: boolean): MainCommand {
  if (image) {
    buildImage()
    return imageCommand(IMAGE_DIR)
  }
  const args = [...serverCommand(node), 'src/main.ts', '--require-app-secret']
  return { args, cwd: REPO, workloadHandlersDir: `${REPO}bench/workload-handlers`, label: args.join(' ') }
}

/**
 * The image's command in `dir`: image/ as buildImage makes it, or a copy of it changed by hand for an experiment
 * (`bench/alone.ts --image-dir`, relative to the repository). A copy must sit inside the repository, where
 * node_modules/ resolves: `image-variants/` is meant for them (ignored by git and eslint; buildImage removes image/).
 */
export function imageCommand (dir: string): MainCommand {
  const resolved = path.resolve(REPO, dir)
  if (path.relative(REPO, resolved).startsWith('..')) throw new Error(`${dir}: a copy of image/ must sit inside the repository (image-variants/), where node_modules/ resolves`)
  const slashed = `${resolved}/`
  return { args: ['src/main.js', '--require-app-secret'], cwd: slashed, workloadHandlersDir: `${slashed}workload-handlers`, label: 'src/main.js --require-app-secret (compiled, as the image)' }
}

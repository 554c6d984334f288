import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { REPO_ROOT } from './load.ts'

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `npm run bench -- --profile`): the functions with
 * the most self time, and the self time grouped by package or source folder, so a miss can be traced to a cause.
 * `npx tsx bench/cpu-profile-top.ts /tmp/fanbot-bench-profiles/<file>.cpuprofile [rows]`
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

const file = process.argv[2]
if (file === undefined) {
  console.error('usage: npx tsx bench/cpu-profile-top.ts <file.cpuprofile> [rows]')
  process.exit(2)
}
const rows = Number(process.argv[3] ?? 30)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile

const nodeById = new Map(profile.nodes.map((node) => [node.id, node]))
const selfUs = new Map<number, number>()
profile.samples.forEach((id, index) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0))
})
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0)
const idleUs = profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').reduce((sum, node) => sum + (selfUs.get(node.id) ?? 0), 0)
const busyUs = totalUs - idleUs

function where (url: string): string {
  if (url === '') return '(native / V8)'
  const path = url.startsWith('file://') ? relative(REPO_ROOT, new URL(url).pathname) : url
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (pkg?.[1] !== undefined) return pkg[1]
  if (path.startsWith('node:')) return 'node: core'
  return path.split('/').slice(0, -1).join('/') || path
}

const label = (frame: ProfileNode['callFrame']): string => {
  const url = frame.url.startsWith('file://') ? relative(REPO_ROOT, new URL(frame.url).pathname) : frame.url
  // tsx-compiled files report line 1 for everything: the file name is then all there is.
  const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : ''
  return `${frame.functionName || '(anonymous)'}  ${url}${line}`
}

// Inclusive time of the project's own functions (src/, routes/; image/src/ and image/routes/ when compiled): self time plus everything they called. A
// function on the stack twice (recursion) is counted once per sample. After an `await` the rest of an async
// function runs from the microtask queue, not under its caller, so callers of async code are undercounted.
const inclusive = new Map<string, number>()
function walk (id: number, onStack: Set<string>): number {
  const node = nodeById.get(id)
  if (node === undefined) return 0
  let us = selfUs.get(id) ?? 0
  const key = label(node.callFrame)
  const ours = /^(image\/)?(src|routes)\//.test(key.split('  ')[1] ?? '') && !onStack.has(key)
  if (ours) onStack.add(key)
  for (const child of node.children ?? []) us += walk(child, onStack)
  if (ours) {
    onStack.delete(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + us)
  }
  return us
}
walk(profile.nodes[0]?.id ?? 0, new Set())

// The same function appears under many call paths: add its self time up across them.
const byFunction = new Map<string, number>()
const byPlace = new Map<string, number>()
for (const [id, us] of selfUs) {
  const frame = nodeById.get(id)?.callFrame
  if (frame === undefined || frame.functionName === '(idle)') continue
  const key = label(frame)
  byFunction.set(key, (byFunction.get(key) ?? 0) + us)
  byPlace.set(where(frame.url), (byPlace.get(where(frame.url)) ?? 0) + us)
}

// Shares of busy time: the idle time depends only on how long the server waited for the other one's runs.
const pct = (us: number): string => `${(100 * us / busyUs).toFixed(1).padStart(5)} %`
const top = (map: Map<string, number>): Array<[string, number]> => [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)
console.log(`sampled ${(totalUs / 1e6).toFixed(2)} s, busy ${(busyUs / 1e6).toFixed(2)} s; shares below are of busy time\n\nself time by function:`)
for (const [key, us] of top(byFunction)) console.log(`${pct(us)}  ${key}`)
console.log('\nself time by package / folder:')
for (const [key, us] of top(byPlace)) console.log(`${pct(us)}  ${key}`)
console.log('\ninclusive time of src/ and routes/ functions:')
for (const [key, us] of top(inclusive)) console.log(`${pct(us)}  ${key}`)

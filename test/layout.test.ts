import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

/** Every .ts file under `dir`, and the relative files each imports for its value (`import type` is erased). */
function importGraph (dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts')) continue
      const file = path.join(dir, entry)
      const source = readFileSync(file, 'utf8')
      const imports = [...source.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)]
        .map((match) => path.join(path.dirname(file), match[1] ?? ''))
      graph.set(file, imports)
    }
  }
  return graph
}

const graph = importGraph(['src', 'routes'])

test('no import cycle between source files', () => {
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (file: string, stack: string[]): void => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' → '))
      else if (!state.has(next)) visit(next, stack)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of graph.keys()) if (!state.has(file)) visit(file, [])
  assert.deepEqual(cycles, [])
})

test('no two subsystem folders import each other (the flat pipeline in src/ is the hub between them)', () => {
  const edges = new Set<string>()
  for (const [file, imports] of graph) {
    for (const target of imports) {
      const from = path.dirname(file)
      const to = path.dirname(target)
      if (from !== to && from !== 'src' && to !== 'src' && from !== 'routes' && to !== 'routes') edges.add(`${from} → ${to}`)
    }
  }
  const both = [...edges].filter((edge) => edges.has(edge.split(' → ').reverse().join(' → ')))
  assert.deepEqual(both, [])
})

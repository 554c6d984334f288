import { readFileSync } from 'node:fs'
import { REPO_ROOT } from './server-process.ts'

export interface Instruction {
  /** Index of the stage (FROM) it belongs to. */
  stage: number
  keyword: string
  /** The rest of the line, continuation lines joined. */
  args: string
}

/** Reads the repository's Dockerfile into instructions (comments dropped, `\` continuations joined). */
export function readDockerfile (path = `${REPO_ROOT}Dockerfile`): Instruction[] {
  const joined = readFileSync(path, 'utf8').replace(/\\\r?\n/g, ' ')
  const instructions: Instruction[] = []
  let stage = -1
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const [keyword = '', ...rest] = line.split(/\s+/)
    const upper = keyword.toUpperCase()
    if (upper === 'FROM') stage++
    instructions.push({ stage, keyword: upper, args: rest.join(' ') })
  }
  return instructions
}

/** The JSON array of an exec-form instruction (CMD ["node", …]); undefined for the shell form. */
export function execForm (args: string): string[] | undefined {
  const json = args.replace(/^--\S+\s+/g, '').replace(/^.*?CMD\s+/, '')
  if (!json.startsWith('[')) return undefined
  return JSON.parse(json) as string[]
}

/** The ENV pairs of a stage, as a record. */
export function envOf (instructions: Instruction[], stage: number): Record<string, string> {
  const env: Record<string, string> = {}
  for (const { args } of instructions.filter((instruction) => instruction.stage === stage && instruction.keyword === 'ENV')) {
    for (const pair of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[pair[1] ?? ''] = (pair[2] ?? '').replace(/^"|"$/g, '')
  }
  return env
}

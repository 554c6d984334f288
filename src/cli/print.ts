import type { Readable } from 'node:stream'

/*
 * The CLI's only way to the terminal. `no-console` holds in src/, and writing through these keeps stdout (what a
 * command reports) apart from stderr (its one-line errors), so scripts can read either.
 */

interface Output {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

const PROCESS_OUTPUT: Output = {
  stdout: (text) => { process.stdout.write(text) },
  stderr: (text) => { process.stderr.write(text) }
}
let output = PROCESS_OUTPUT
/** What collectOutput's caller typed (chat's fan); undefined: the process's stdin. */
let typed: Readable | undefined

export function out (line = ''): void {
  output.stdout(`${line}\n`)
}

export function errLine (line: string): void {
  output.stderr(`${line}\n`)
}

/** Where a person types (chat reads the fan's lines there), and whether it is a terminal with stdout one too. */
export function terminalInput (): { stream: Readable, tty: boolean } {
  if (typed !== undefined) return { stream: typed, tty: false }
  return { stream: process.stdin, tty: process.stdin.isTTY && process.stdout.isTTY }
}

/**
 * Runs `work` with what `out` and `errLine` print collected instead of written, and `input` (if given) as what was
 * typed, piped: tests run a command line in their own process with it (src/cli/run.ts), chat's included, one at a
 * time, since the collector is this module's.
 */
export async function collectOutput (work: () => Promise<void>, input?: Readable): Promise<{ stdout: string, stderr: string }> {
  if (output !== PROCESS_OUTPUT) throw new Error('collectOutput: another command line is being collected')
  const collected = { stdout: '', stderr: '' }
  output = {
    stdout: (text) => { collected.stdout += text },
    stderr: (text) => { collected.stderr += text }
  }
  typed = input
  try {
    await work()
  } finally {
    output = PROCESS_OUTPUT
    typed = undefined
  }
  return collected
}

/** Resolves once everything written to stdout and stderr has been handed to the OS, so an exit loses nothing. */
export async function flushOutput (): Promise<void> {
  await Promise.all([process.stdout, process.stderr].map(async (stream) => {
    await new Promise<void>((resolve) => { stream.write('', () => { resolve() }) })
  }))
}

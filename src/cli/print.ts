/*
 * The CLI's only way to the terminal. `no-console` holds in src/, and writing through these keeps stdout (what a
 * command reports) apart from stderr (its one-line errors), so scripts can read either.
 */

export function out (line = ''): void {
  process.stdout.write(`${line}\n`)
}

export function errLine (line: string): void {
  process.stderr.write(`${line}\n`)
}

/** Resolves once everything written to stdout and stderr has been handed to the OS, so an exit loses nothing. */
export async function flushOutput (): Promise<void> {
  await Promise.all([process.stdout, process.stderr].map(async (stream) => {
    await new Promise<void>((resolve) => { stream.write('', () => { resolve() }) })
  }))
}

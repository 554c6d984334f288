// `npm run check`: the typecheck and the lint side by side. Each is single-threaded, so on two cores running them
// together halves their wall time. Their output goes through as it comes; the exit code is 1 if either failed.
import { spawn } from 'node:child_process'

const run = (command, args) => new Promise((resolve) => {
  const child = spawn(command, args, { stdio: 'inherit', shell: process.platform === 'win32' })
  child.on('close', (code) => { resolve(code ?? 1) })
})

const codes = await Promise.all([run('npx', ['tsc', '--noEmit']), run('npx', ['eslint', '.'])])
process.exitCode = codes.every((code) => code === 0) ? 0 : 1

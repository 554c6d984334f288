// `npm run check`: the typecheck and the lint side by side. Each is single-threaded, so on two cores running them
// together halves their wall time. Their output goes through as it comes; the exit code is 1 if either failed.
// Both keep a cache in node_modules/.cache (tsc's build info, eslint's per-file results keyed by content), so a run
// after a small change checks only what it touched: ~25 s of CPU on a fresh clone, a few seconds after that.
import { spawn } from 'node:child_process'

const run = (command, args) => new Promise((resolve) => {
  const child = spawn(command, args, { stdio: 'inherit', shell: process.platform === 'win32' })
  child.on('close', (code) => { resolve(code ?? 1) })
})

const codes = await Promise.all([
  run('npx', ['tsc', '--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/fanbot/tsc.tsbuildinfo']),
  run('npx', ['eslint', '--cache', '--cache-strategy', 'content', '--cache-location', 'node_modules/.cache/fanbot/eslint', '.'])
])
process.exitCode = codes.every((code) => code === 0) ? 0 : 1

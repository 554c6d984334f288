import { loadDotEnv } from '../env-file.ts'
import { flushOutput } from './print.ts'
import { runCommandLine } from './run.ts'

// The one place the CLI reads the process: its arguments and environment in (./.env fills what the environment does
// not set, for every command), an exit code out. What a command line does and says is in run.ts, which tests also
// run in-process (a spawned CLI costs ~1 s of CPU).
const code = await runCommandLine({ argv: process.argv.slice(2), env: process.env, prepare: loadDotEnv })
await flushOutput()
// Exit now rather than when the event loop empties: a keep-alive socket or a handler's timer must not hold the CLI.
process.exit(code)

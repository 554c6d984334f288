// `npm run check`: the type check, dist/'s build and the lint side by side (scripts/checks.js), their output as it
// comes; the exit code is 1 if any failed. `npm test` runs the same checks before and beside the tests.
import { lint, typecheckAndBuild } from './checks.js'

const [typesAndBuild, lintCode] = await Promise.all([typecheckAndBuild(), lint().code])
process.exitCode = typesAndBuild && lintCode === 0 ? 0 : 1

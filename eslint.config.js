import neostandard from 'neostandard'

export default [
  // test/.groups-<pid>/: the test runner's generated entry files, there only while `npm test` runs (scripts/test.js).
  ...neostandard({ ts: true, ignores: ['node_modules/**', 'coverage/**', 'dist/**', 'image/**', 'test/.groups-*/**'] }),
  {
    // The library logs through pino only; the CLI entry points may print to the terminal.
    files: ['src/**/*.ts', 'routes/**/*.ts', 'handlers/**/*.ts'],
    rules: { 'no-console': 'error' }
  }
]

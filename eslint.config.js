import neostandard from 'neostandard'

export default [
  // test/.groups-<pid>/: the test runner's generated entry files, there only while `npm test` runs (scripts/test.js).
  // image-variants/: hand-changed copies of the compiled image/ for bench/alone.ts.
  ...neostandard({ ts: true, ignores: ['node_modules/**', 'coverage/**', 'dist/**', 'image/**', 'image-variants/**', 'test/.groups-*/**'] }),
  {
    // The library logs through pino only; the CLI entry points may print to the terminal.
    files: ['src/**/*.ts', 'routes/**/*.ts', 'handlers/**/*.ts'],
    rules: { 'no-console': 'error' }
  }
]

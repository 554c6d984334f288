import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['node_modules/**', 'coverage/**', 'dist/**', 'image/**'] }),
  {
    // The library logs through pino only; the CLI entry points may print to the terminal.
    files: ['src/**/*.ts', 'routes/**/*.ts', 'handlers/**/*.ts'],
    rules: { 'no-console': 'error' }
  }
]

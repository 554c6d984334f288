#!/usr/bin/env node
// The weibo-fanbot CLI. tsx (a dependency) is registered first: it loads the bot's own .ts handler modules on every
// Node version. The CLI itself is the TypeScript source in a checkout, and the compiled dist/ in the installed
// package (npm pack builds it, and ships no src/).
import { existsSync } from 'node:fs'
import { register } from 'tsx/esm/api'

register()
const source = new URL('../src/cli/main.ts', import.meta.url)
await import(existsSync(source) ? source.href : new URL('../dist/src/cli/main.js', import.meta.url).href)

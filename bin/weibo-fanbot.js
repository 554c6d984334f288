#!/usr/bin/env node
// The weibo-fanbot CLI. The code is TypeScript run through tsx (a dependency): register its loader, then start.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')

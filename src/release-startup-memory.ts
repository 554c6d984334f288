import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

type Gc = (options: { type: 'major', execution: 'sync', flavor: 'last-resort' }) => void

/**
 * One memory-reducing full GC, once, when the server is built and before it listens (so no push waits for it).
 * Starting up (compiling every module, building the schemas and routes) allocates a lot of short-lived garbage, and
 * V8 grows its young generation for it, to ~16 MiB on Node 24. Nothing shrinks it again in an idle server: V8's
 * memory reducer starts only after a full GC that an idle server never triggers. The "last-resort" flavour (the
 * GC V8 runs on a low-memory notification) gives those pages back to the system: idle RSS −11 MiB on Node 24, for
 * one GC of ~10–30 ms (bench/README.md, idle RSS). Under load the young generation grows again as V8 sees fit, so
 * throughput is untouched (unlike capping it with --max-semi-space-size). Node 20's V8 ignores the flavour and
 * runs a plain full GC, which gives nothing back but costs a few ms.
 *
 * Node has no API for this GC without `--expose-gc`; the flag is set for one new context only, to get its `gc`,
 * and unset again, so `gc` never becomes a global of the server or of a handler.
 */
export function releaseStartupMemory (): void {
  // A tick object stays alive through the GC. The last-resort flavour is several full GCs in a row, enough for V8 to
  // collect maps that no live object has; with the tick queue empty those include the maps `process.nextTick` builds
  // its tick object through, and the property stores it warmed during start-up then stay slow for the life of the
  // process: ~0.6 µs instead of ~0.1 per call on Node 24, six calls per request, ~4 µs per push under load
  // (bench/README.md, tenth session; bench/startup-gc.ts). One tick waiting in the queue keeps them.
  process.nextTick(() => {})
  const exposed = (globalThis as { gc?: Gc }).gc
  if (exposed !== undefined) {
    exposed({ type: 'major', execution: 'sync', flavor: 'last-resort' })
    return
  }
  setFlagsFromString('--expose-gc')
  try {
    const gc = runInNewContext('gc') as Gc
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
  } finally {
    setFlagsFromString('--no-expose-gc')
  }
}

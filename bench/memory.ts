import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import type { Handler } from '../src/handler.ts'
import { readPush } from '../src/push-reader.ts'
import { makePush, pushToJson } from '../src/simulator/push-factory.ts'

/**
 * Scenario 4, in its own process because it needs `global.gc`:
 * `node --expose-gc --import tsx bench/memory.ts '{"count":1000000,"answer":"ascii"}'`. Pushes `count` distinct
 * text messages through the real dispatcher (parsed and validated by the real push reader; HTTP left out, since
 * it keeps nothing per push) with DEDUP_MAX = count, and prints one JSON line with the memory before and after.
 */
export type AnswerKind = 'blank' | 'ascii' | 'chinese'

export interface MemoryResult {
  count: number
  answer: AnswerKind
  entries: number
  /** Bytes of one stored answer string (the passive reply JSON; 0 for blank). */
  answerBytes: number
  seconds: number
  /** After the app was built, minus before: lru-cache preallocates its index arrays for DEDUP_MAX entries. */
  construction: Usage
  /** After every push was answered, minus before the app was built (answer bodies still in their replay window). */
  total: Usage
  /** DEDUP_REPLAY_TTL_MS of the run. */
  replayTtlMs: number
  /** As `total`, read again once the replay window has passed: only the compact "seen" records remain. */
  afterReplay?: Usage
  /** Answer bodies the store held at the `total` reading. */
  answersHeld?: number
}

// 20 Chinese characters, like a short bot answer; URL-encoded in the passive reply, each takes 9 bytes.
const CHINESE_REPLY = '您好，已收到您的消息，我们会尽快回复！'

function handlersFor (answer: AnswerKind): Handler[] {
  return [{
    name: 'bench-memory',
    on: 'text',
    handle (message) {
      if (answer === 'blank') return undefined
      return { type: 'text', text: answer === 'ascii' ? `ok ${message.text.slice(0, 12)}` : CHINESE_REPLY }
    }
  }]
}

interface Usage { rss: number, heapUsed: number, heapTotal: number, external: number }

function snapshot (): Usage {
  // Twice: the first pass can leave objects reachable only from finalizers.
  globalThis.gc?.()
  globalThis.gc?.()
  const usage = process.memoryUsage()
  return { rss: usage.rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external }
}

const minus = (a: Usage, b: Usage): Usage =>
  ({ rss: a.rss - b.rss, heapUsed: a.heapUsed - b.heapUsed, heapTotal: a.heapTotal - b.heapTotal, external: a.external - b.external })

async function main (): Promise<void> {
  if (globalThis.gc === undefined) throw new Error('run with node --expose-gc')
  const options = JSON.parse(process.argv[2] ?? '{}') as { count?: number, answer?: AnswerKind, replayTtlMs?: number, quota?: boolean }
  const count = options.count ?? 1_000_000
  const answer = options.answer ?? 'ascii'
  const replayTtlMs = options.replayTtlMs ?? 60_000
  const start = Date.UTC(2026, 10, 25)

  const before = snapshot()
  const app = await buildApp({
    config: loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', WEIBO_APP_SECRET: 'bench-secret', DEDUP_MAX: String(count), DEDUP_REPLAY_TTL_MS: String(replayTtlMs), REPLY_QUOTA_ENFORCE: String(options.quota ?? true) }),
    handlers: handlersFor(answer)
  })
  const built = snapshot()

  const { dispatcher, store } = app.fanbot
  let answerBytes = 0
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    // A fresh fan, time and text per push: every one is a new dedup key, as a million different messages are.
    const raw = pushToJson(makePush({ type: 'text', text: `id-${i} 你好`, senderId: String(3_000_000_000 + i), createdAt: new Date(start + i * 1000) }))
    const reading = readPush(raw)
    if (reading.kind !== 'message') throw new Error('unexpected unsupported push')
    const result = await dispatcher.dispatch(reading.message)
    answerBytes = Buffer.byteLength(result.body)
    // Each HTTP push is its own event-loop job. Without this yield the whole loop would be one job, and V8 keeps
    // every WeakRef target made during a job alive until it ends (AbortSignal.any, for one, makes WeakRefs).
    if (i % 100 === 99) await nextTurn()
  }
  const seconds = (performance.now() - started) / 1000
  const after = snapshot()
  const answersHeld = (store as { answersHeld?: number }).answersHeld
  // The store frees answer bodies by itself once their replay window has passed; wait for it when that is short.
  const afterReplay = replayTtlMs <= 10_000 ? (await sleep(replayTtlMs + 1500), snapshot()) : undefined
  const result: MemoryResult = {
    count,
    answer,
    entries: store.size,
    answerBytes,
    seconds,
    construction: minus(built, before),
    total: minus(after, before),
    replayTtlMs,
    ...(afterReplay === undefined ? {} : { afterReplay: minus(afterReplay, before) }),
    ...(answersHeld === undefined ? {} : { answersHeld })
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
  await app.close()
}

await main()

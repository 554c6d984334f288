import { createReplayGuard } from '../src/replay/replay-guard.ts'
import { createMemoryReplayStore } from '../src/replay/memory-replay-store.ts'
import { computeSignature, verifySignature } from '../src/signature.ts'

/**
 * CPU per push of the two checks before a push is read: the signature (SHA-1 of secret, timestamp and nonce,
 * compared in constant time) and the replay guard (SHA-256 of the body, in the memory store), best of rounds. For
 * A/B checks of those two, run in two checkouts alternately: `node bench/edge-cpu.ts [pushes] [rounds]` on a Node
 * that strips types (`npx tsx bench/edge-cpu.ts` on Node 20).
 */
const count = Number(process.argv[2] ?? 100_000)
const rounds = Number(process.argv[3] ?? 5)
const secret = 'bench-edge-secret'
const pushes = Array.from({ length: count }, (_, n) => {
  const timestamp = String(1_764_547_200_000 + n)
  const nonce = String(10_000_000 + n)
  const body = { type: 'text', receiver_id: 1902538057, sender_id: 5_000_000_000 + n, created_at: 'Mon Dec 01 00:00:00 +0800 2026', text: `你好 ${n}`, data: {} }
  return { secret, timestamp, nonce, signature: computeSignature({ secret, timestamp, nonce }), body: Buffer.from(JSON.stringify(body)) }
})
const figures: number[] = []
for (let round = 0; round < rounds; round++) {
  const guard = createReplayGuard(createMemoryReplayStore({ max: 2 * count, ttlMs: 600_000 }))
  const started = process.cpuUsage()
  for (const push of pushes) {
    if (!verifySignature(push)) throw new Error('a valid signature was refused')
    if (guard.check(push.signature, push.body) instanceof Promise) throw new Error('the memory store answers synchronously')
  }
  const cpu = process.cpuUsage(started)
  figures.push((cpu.user + cpu.system) / count)
}
process.stderr.write(`signature check + replay guard, µs per push, by round: ${figures.map((value) => value.toFixed(2)).join(', ')}; best ${Math.min(...figures).toFixed(2)}\n`)

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Counter, Histogram, Registry } from 'prom-client'
import { LabelledCounter, LabelledHistogram } from '../src/labelled-metrics.ts'

/** A seeded generator, so a failure can be replayed. */
function random (seed: number): () => number {
  let state = seed
  return () => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state / 2 ** 32 }
}
const pick = <T>(next: () => number, values: readonly T[]): T => values[Math.floor(next() * values.length)]!

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 4.5, 5, 10]

/** Both registries after the same calls: ours and prom-client's, side by side. */
function pair (): { ours: Registry, theirs: Registry } {
  return { ours: new Registry(), theirs: new Registry() }
}

describe('LabelledCounter and LabelledHistogram render as prom-client\'s Counter and Histogram', () => {
  test('a counter with three labels: the same text and the same JSON after 5,000 random increments', async () => {
    const { ours, theirs } = pair()
    const options = { name: 'weibo_fanbot_pushes_total', help: 'Pushes "received"\nby type', labelNames: ['type', 'outcome', 'account'] as const }
    const mine = new LabelledCounter({ ...options, registers: [ours] })
    const reference = new Counter({ ...options, labelNames: [...options.labelNames], registers: [theirs] })
    const next = random(7)
    for (let step = 0; step < 5000; step++) {
      const labels = { type: pick(next, ['text', 'position', 'voice', 'event']), outcome: pick(next, ['passive', 'blank', 'duplicate', 'a "quoted" \\ one']), account: pick(next, ['default', '1902538057']) }
      const value = step % 7 === 0 ? 2.5 : 1
      mine.inc(labels, value)
      reference.inc(labels, value)
    }
    assert.equal(await ours.metrics(), await theirs.metrics())
    assert.deepEqual(await mine.get(), await reference.get())
  })

  test('a histogram with two labels: the same text and JSON after 5,000 random observations, on and past every bound', async () => {
    const { ours, theirs } = pair()
    const options = { name: 'weibo_fanbot_callback_duration_seconds', help: 'Time to answer', labelNames: ['method', 'status'] as const, buckets: BUCKETS }
    const mine = new LabelledHistogram({ ...options, registers: [ours] })
    const reference = new Histogram({ ...options, labelNames: [...options.labelNames], registers: [theirs] })
    const next = random(11)
    const values = [0, ...BUCKETS, 11, 1e-9, 4.4999, 4.5000001]
    for (let step = 0; step < 5000; step++) {
      const labels = { method: pick(next, ['POST', 'GET']), status: pick(next, [200, 401, 503]) }
      const value = next() < 0.3 ? pick(next, values) : next() * 12
      mine.observe(labels, value)
      reference.observe(labels, value)
    }
    assert.equal(await ours.metrics(), await theirs.metrics())
    assert.deepEqual(await mine.get(), await reference.get())
  })

  test('labels given in another order, or some left undefined, make the series prom-client makes', async () => {
    const { ours, theirs } = pair()
    const options = { name: 'handler_seconds', help: 'h', labelNames: ['handler', 'status'] as const, buckets: [0.1, 1] }
    const mine = new LabelledHistogram({ ...options, registers: [ours] })
    const reference = new Histogram({ ...options, labelNames: [...options.labelNames], registers: [theirs] })
    for (const [labels, value] of [[{ handler: 'a', status: 'reply' }, 0.05], [{ status: 'reply', handler: 'a' }, 0.5], [{ handler: 'b' }, 2]] as const) {
      mine.observe(labels, value)
      reference.observe(labels, value)
    }
    assert.equal(await ours.metrics(), await theirs.metrics())
  })

  test('reset empties them; a metric outside every registry still counts', async () => {
    const counter = new LabelledCounter({ name: 'c', help: 'c', labelNames: ['kind'], registers: [] })
    counter.inc({ kind: 'joined' })
    counter.inc({ kind: 'joined' })
    assert.deepEqual((await counter.get()).values, [{ labels: { kind: 'joined' }, value: 2 }])
    counter.reset()
    assert.deepEqual((await counter.get()).values, [])
  })

  test('refuses what prom-client refuses: an unknown label, a value that is not a finite number, a negative increment', () => {
    const counter = new LabelledCounter({ name: 'c', help: 'c', labelNames: ['kind'], registers: [] })
    const histogram = new LabelledHistogram({ name: 'h', help: 'h', labelNames: ['kind'], buckets: [1], registers: [] })
    assert.throws(() => { counter.inc({ kind: 'a', other: 'b' } as never) }, /not included in initial labelset/)
    assert.throws(() => { counter.inc({ kind: 'a' }, -1) }, TypeError)
    assert.throws(() => { counter.inc({ kind: 'a' }, Number.NaN) }, TypeError)
    assert.throws(() => { histogram.observe({ kind: 'a' }, Number.POSITIVE_INFINITY) }, TypeError)
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AnswerBytes } from '../../src/dedup/answer-bytes.ts'

/** A body of `size` characters mixing one-, two-, three- and four-byte UTF-8 (ASCII, é, 你, 😀), from `seed`. */
function body (seed: number, size: number): string {
  const pieces = ['a', 'Z', '{', '"', 'é', '你', '好', '😀', '%20']
  let text = `#${seed}:`
  for (let i = 0; text.length < size; i++) text += pieces[(seed * 7 + i * 13) % pieces.length]
  return text
}

function write (store: AnswerBytes, text: string): { at: number, length: number, text: string } {
  const length = Buffer.byteLength(text, 'utf8')
  return { at: store.write(text, length), length, text }
}

describe('AnswerBytes: answer bodies as UTF-8 outside the heap, first in, first out', () => {
  test('reads back what was written, multi-byte characters included, while it is held', () => {
    const store = new AnswerBytes()
    const written = [write(store, 'ok text'), write(store, body(1, 40)), write(store, '😀'), write(store, body(2, 300))]
    for (const item of written) assert.equal(store.read(item.at, item.length), item.text)
    assert.equal(store.held, written.reduce((sum, item) => sum + item.length, 0))
  })

  test('agrees with a plain list over many writes and releases, through moves and growth past its first size', () => {
    const store = new AnswerBytes()
    let seed = 7
    const random = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 }
    const live: Array<{ at: number, length: number, text: string }> = []
    let largest = 0
    for (let step = 0; step < 30_000; step++) {
      // Bursts of writes, then of releases, so the held bytes rise past the first buffer and fall to nothing again.
      const phase = Math.floor(step / 3000) % 2
      if (live.length === 0 || random() < (phase === 0 ? 0.7 : 0.3)) {
        // Mostly short bodies, now and then one larger than the whole first buffer.
        const size = random() < 0.002 ? AnswerBytes.INITIAL_BYTES + 100 : Math.floor(random() * 400) + 1
        live.push(write(store, body(step, size)))
      } else {
        const oldest = live.shift()!
        store.release(oldest.at, oldest.length)
      }
      largest = Math.max(largest, store.capacity)
      if (step % 97 === 0) for (const item of live) assert.equal(store.read(item.at, item.length), item.text, `step ${step}`)
      assert.equal(store.held, live.reduce((sum, item) => sum + item.length, 0), `step ${step}: held`)
      // Grown to keep half free, shrunk below an eighth in use: never more than eight times what is held.
      assert.ok(store.capacity <= Math.max(AnswerBytes.INITIAL_BYTES, 8 * store.held), `step ${step}: capacity ${store.capacity} for ${store.held} B`)
    }
    assert.ok(largest > 8 * AnswerBytes.INITIAL_BYTES, `the buffer grew well past its first size: ${largest} B`)
    while (live.length > 0) {
      const oldest = live.shift()!
      store.release(oldest.at, oldest.length)
    }
    assert.equal(store.held, 0)
    assert.equal(store.capacity, AnswerBytes.INITIAL_BYTES, 'back to its first size once nothing is held')
  })

  test('a release out of order is a programming error, refused before anything changes', () => {
    const store = new AnswerBytes()
    const first = write(store, 'first')
    const second = write(store, 'second answer')
    assert.throws(() => { store.release(second.at, second.length) }, /released 5, but the oldest body held is at 0/)
    assert.equal(store.read(first.at, first.length), 'first')
    store.release(first.at, first.length)
    store.release(second.at, second.length)
    assert.equal(store.held, 0)
  })

  test('a burst\'s memory is given back as its bodies are released, also while a trickle keeps a few held', () => {
    const store = new AnswerBytes()
    const big = Array.from({ length: 50 }, (_, index) => write(store, body(index, 20_000)))
    const trickle = write(store, 'one push after the burst')
    assert.ok(store.capacity >= 1_000_000, `${store.capacity} B for 50 bodies of 20,000 characters`)
    for (const item of big) store.release(item.at, item.length)
    assert.equal(store.capacity, AnswerBytes.INITIAL_BYTES, 'one short body held: the first size')
    assert.equal(store.read(trickle.at, trickle.length), 'one push after the burst')
    store.release(trickle.at, trickle.length)
    const next = write(store, 'after the burst')
    assert.equal(store.read(next.at, next.length), 'after the burst')
  })
})

/**
 * The answered half of the in-memory dedup store: which pushes were answered (for DEDUP_TTL_MS) and, for the first
 * DEDUP_REPLAY_TTL_MS, what they were answered.
 *
 * A hand-written structure, because the obvious ones cost too much per entry (measured in bench/README.md): a `Map`
 * keyed by the key string costs the string (~80 B) plus ~40 B of entry, and lru-cache adds its index arrays on top.
 * Here a push is a 64-bit digest of its key and its answer time, in typed arrays (outside the JS heap, never scanned
 * by the GC):
 * - a ring `hi`/`lo`/`at` in the order pushes were answered. Every record has the same TTL, so the oldest record is
 *   always at the head: expiring is popping the head, and evicting at `max` is popping it early.
 * - the answer bodies of the newest records only, as UTF-8 in `AnswerBytes` (outside the heap too), with each
 *   record's position and length in two more arrays of the ring; a second cursor (`replayFrom`) drops bodies in
 *   ring order once their replay window has passed, so that memory is freed. None of this with no replay window.
 * - an open-addressing index (`Int32Array`, linear probing, at most half full) from digest to ring slot; deleting
 *   uses backward shift, so there are no tombstones to clean up.
 * Both grow by doubling from a small start, never beyond what `max` needs: nothing is allocated for entries that do
 * not exist yet. About 24-48 B per record in the ring (12-24 B more with a replay window: where its body is) plus
 * 8-16 B in the index, depending on where the doubling is.
 *
 * Positions are absolute sequence numbers (`head`, `tail`, `replayFrom`: doubles, exact to 2^53); a record's slot
 * is its sequence number modulo the ring's size.
 */
import { AnswerBytes } from './answer-bytes.ts'

export interface Digest { hi: number, lo: number }

/** The answer bodies of a log with a replay window: where each record's body is in `bytes`, and its length (0: none). */
interface Answers { at: Float64Array, length: Uint32Array, bytes: AnswerBytes }

export interface SeenLogOptions {
  max: number
  ttlMs: number
  replayTtlMs: number
  /** Seeds the digest, so that its collisions cannot be planned from outside the process. */
  seed: number
  /**
   * Each record also carries a 64-bit tag, in two more typed arrays (the replay guard: the body digest a signed query
   * came with, 8 B per record instead of a string on the heap). Off for dedup, which allocates nothing for it.
   */
  tagged?: boolean
}

const INITIAL_CAPACITY = 1024

export class SeenLog {
  readonly #max: number
  readonly #ttlMs: number
  readonly #replayTtlMs: number
  readonly #seed: number
  #mask = INITIAL_CAPACITY - 1
  #hi = new Uint32Array(INITIAL_CAPACITY)
  #lo = new Uint32Array(INITIAL_CAPACITY)
  #at = new Float64Array(INITIAL_CAPACITY)
  /** Undefined with no replay window. */
  #answers: Answers | undefined
  /** Ring slot + 1 per index bucket; 0 is empty. */
  #index = new Int32Array(INITIAL_CAPACITY * 2)
  #tagHi: Uint32Array | undefined
  #tagLo: Uint32Array | undefined
  #head = 0
  #tail = 0
  #replayFrom = 0
  #answersHeld = 0

  constructor (options: SeenLogOptions) {
    this.#max = options.max
    this.#ttlMs = options.ttlMs
    this.#replayTtlMs = options.replayTtlMs
    this.#seed = options.seed
    if (options.replayTtlMs > 0) {
      this.#answers = { at: new Float64Array(INITIAL_CAPACITY), length: new Uint32Array(INITIAL_CAPACITY), bytes: new AnswerBytes() }
    }
    if (options.tagged === true) {
      this.#tagHi = new Uint32Array(INITIAL_CAPACITY)
      this.#tagLo = new Uint32Array(INITIAL_CAPACITY)
    }
  }

  get size (): number { return this.#tail - this.#head }
  get answersHeld (): number { return this.#answersHeld }

  /**
   * 64 bits from two 32-bit multiplicative hash lanes over the key's UTF-16 units, finished by cross-mixing (the
   * construction of the public-domain cyrb53, with both lanes kept whole). At 1,000,000 records the chance that
   * two keys ever collide is about 3 in 10^8; a collision would answer a new push as a retry.
   */
  digest (key: string): Digest {
    let h1 = 0xdeadbeef ^ this.#seed
    let h2 = 0x41c6ce57 ^ this.#seed
    for (let i = 0; i < key.length; i++) {
      const unit = key.charCodeAt(i)
      h1 = Math.imul(h1 ^ unit, 2654435761)
      h2 = Math.imul(h2 ^ unit, 1597334677)
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
    return { hi: h1 >>> 0, lo: h2 >>> 0 }
  }

  /** The answer to replay for a record seen and not expired: its body while in the replay window, else `''`. */
  find (digest: Digest): string | undefined {
    const slot = this.#slotOf(digest)
    if (slot < 0) return undefined
    const answers = this.#answers
    const length = answers?.length[slot] ?? 0
    return answers === undefined || length === 0 ? '' : answers.bytes.read(answers.at[slot]!, length)
  }

  /** Records an answered push (the caller expired the log at `at` first). A digest already there keeps its first answer. */
  add (digest: Digest, at: number, answer: string): void {
    if (this.#slotOf(digest) >= 0) return
    const slot = this.#append(digest, at)
    const answers = this.#answers
    if (answer !== '' && answers !== undefined) {
      const length = Buffer.byteLength(answer, 'utf8')
      answers.at[slot] = answers.bytes.write(answer, length)
      answers.length[slot] = length
      this.#answersHeld++
    }
  }

  /**
   * For a tagged log: records `digest` with the tag (`tagHi`, `tagLo`) if it is not held, else says whether it was
   * recorded with the same tag. The caller expired the log at `at` first. A record's tag never changes.
   */
  sightTagged (digest: Digest, at: number, tagHi: number, tagLo: number): 'first' | 'same' | 'different' {
    const tagHis = this.#tagHi
    if (tagHis === undefined) throw new TypeError('sightTagged needs a SeenLog made with tagged: true')
    const held = this.#slotOf(digest)
    if (held >= 0) return tagHis[held] === tagHi && this.#tagLo![held] === tagLo ? 'same' : 'different'
    const slot = this.#append(digest, at)
    this.#tagHi![slot] = tagHi // after #append: it may have grown the arrays
    this.#tagLo![slot] = tagLo
    return 'first'
  }

  /** Writes a new record at the tail (no answer), making room first; returns its ring slot. */
  #append (digest: Digest, at: number): number {
    if (this.size >= this.#max) this.#popHead()
    if (this.size > this.#mask) this.#grow()
    const slot = this.#slot(this.#tail)
    this.#hi[slot] = digest.hi
    this.#lo[slot] = digest.lo
    this.#at[slot] = at
    if (this.#answers !== undefined) this.#answers.length[slot] = 0
    this.#tail++
    this.#insertIndex(slot)
    return slot
  }

  /** Drops records past DEDUP_TTL_MS and answer bodies past DEDUP_REPLAY_TTL_MS, as of `now`. */
  expire (now: number): void {
    while (this.#head < this.#tail && now - this.#at[this.#slot(this.#head)]! > this.#ttlMs) this.#popHead()
    if (this.#replayFrom < this.#head) this.#replayFrom = this.#head
    while (this.#replayFrom < this.#tail) {
      const slot = this.#slot(this.#replayFrom)
      if (now - this.#at[slot]! <= this.#replayTtlMs) break
      this.#dropAnswer(slot)
      this.#replayFrom++
    }
  }

  /** When the oldest answer body held now leaves its replay window (undefined when none is held). */
  nextAnswerExpiry (): number | undefined {
    const answers = this.#answers
    if (answers === undefined) return undefined
    for (let seq = this.#replayFrom; seq < this.#tail && this.#answersHeld > 0; seq++) {
      const slot = this.#slot(seq)
      if (answers.length[slot] !== 0) return this.#at[slot]! + this.#replayTtlMs
    }
    return undefined
  }

  /** `%`, not `&`: sequence numbers pass 2^31 after a few days at full load, and `&` works on 32 bits. */
  #slot (seq: number): number {
    return seq % (this.#mask + 1)
  }

  #dropAnswer (slot: number): void {
    const answers = this.#answers
    const length = answers?.length[slot] ?? 0
    if (answers === undefined || length === 0) return
    answers.bytes.release(answers.at[slot]!, length)
    answers.length[slot] = 0
    this.#answersHeld--
  }

  #popHead (): void {
    const slot = this.#slot(this.#head)
    this.#dropAnswer(slot)
    this.#deleteIndex(slot)
    this.#head++
  }

  #bucketOf (slot: number): number {
    return this.#lo[slot]! & (this.#index.length - 1)
  }

  /** The ring slot holding `digest`, or -1. */
  #slotOf (digest: Digest): number {
    const index = this.#index
    const mask = index.length - 1
    for (let bucket = digest.lo & mask; ; bucket = (bucket + 1) & mask) {
      const entry = index[bucket]!
      if (entry === 0) return -1
      const slot = entry - 1
      if (this.#lo[slot] === digest.lo && this.#hi[slot] === digest.hi) return slot
    }
  }

  #insertIndex (slot: number): void {
    const index = this.#index
    const mask = index.length - 1
    let bucket = this.#bucketOf(slot)
    while (index[bucket] !== 0) bucket = (bucket + 1) & mask
    index[bucket] = slot + 1
  }

  /** Backward-shift deletion: later entries of the probe run move up, so lookups never meet a hole too early. */
  #deleteIndex (slot: number): void {
    const index = this.#index
    const mask = index.length - 1
    let hole = this.#bucketOf(slot)
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask
    for (let next = (hole + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const home = this.#bucketOf(index[next]! - 1)
      // Move the entry at `next` into the hole unless its home lies cyclically in (hole, next].
      const homeInRange = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
      if (!homeInRange) {
        index[hole] = index[next]!
        hole = next
      }
    }
    index[hole] = 0
  }

  /** Doubles the ring and the index, copying the live records to their slots under the new mask. */
  #grow (): void {
    const oldMask = this.#mask
    const capacity = (oldMask + 1) * 2
    const mask = capacity - 1
    const hi = new Uint32Array(capacity)
    const lo = new Uint32Array(capacity)
    const at = new Float64Array(capacity)
    const old = this.#answers
    const answers = old === undefined ? undefined : { at: new Float64Array(capacity), length: new Uint32Array(capacity), bytes: old.bytes }
    const tagHi = this.#tagHi === undefined ? undefined : new Uint32Array(capacity)
    const tagLo = this.#tagLo === undefined ? undefined : new Uint32Array(capacity)
    for (let seq = this.#head; seq < this.#tail; seq++) {
      const from = seq % (oldMask + 1)
      const to = seq % capacity
      hi[to] = this.#hi[from]!
      lo[to] = this.#lo[from]!
      at[to] = this.#at[from]!
      if (old !== undefined && answers !== undefined) {
        answers.at[to] = old.at[from]!
        answers.length[to] = old.length[from]!
      }
      if (tagHi !== undefined && tagLo !== undefined) {
        tagHi[to] = this.#tagHi![from]!
        tagLo[to] = this.#tagLo![from]!
      }
    }
    this.#tagHi = tagHi
    this.#tagLo = tagLo
    this.#mask = mask
    this.#hi = hi
    this.#lo = lo
    this.#at = at
    this.#answers = answers
    this.#index = new Int32Array(capacity * 2)
    for (let seq = this.#head; seq < this.#tail; seq++) this.#insertIndex(seq % capacity)
  }
}

/**
 * The answer bodies the in-memory dedup store keeps for its replay window, as UTF-8 in one buffer outside the JS
 * heap, written and released first in, first out (the order pushes are answered and their windows end).
 *
 * Why not the strings themselves: a body is kept for DEDUP_REPLAY_TTL_MS (60 s), so every answer string outlived two
 * scavenges, was copied into the old generation and died there. Scavenging costs what survives it: with the bodies
 * here, scenario 6 of the bench promoted 173-213 B per push instead of 348-361 B, and spent 0.7-3.5 µs less per push
 * in GC pauses (`--trace-gc-nvp`, bench/README.md). A body costs one UTF-8 write; a retry, the rare case, decodes it.
 *
 * Positions are absolute byte counts since the store was made (doubles, exact to 2^53); `#base` is the absolute
 * position of the buffer's first byte. Bodies are appended at `#end` and released from `#start`. When a body does not
 * fit after `#end`, the live bytes move to the front of the buffer (or of a new one of twice the size when they take
 * more than half of it), so a body always lies in one piece, and a move copies at most half a buffer after at least
 * half a buffer was written. When releases leave under an eighth of it in use, the live bytes move into a buffer a
 * quarter of its size or less (the first size when none are left): the memory of a burst is freed as its window
 * ends, not kept for the next one. So the buffer is never more than eight times the bytes held, or its first size.
 */
export class AnswerBytes {
  static readonly INITIAL_BYTES = 64 * 1024

  #bytes = Buffer.allocUnsafeSlow(AnswerBytes.INITIAL_BYTES)
  #base = 0
  #start = 0
  #end = 0

  /** Bytes held by bodies not yet released. */
  get held (): number { return this.#end - this.#start }
  /** The buffer's size: what the store takes outside the heap. */
  get capacity (): number { return this.#bytes.length }

  /** Appends `text`, whose UTF-8 length the caller measured (`Buffer.byteLength`); returns its position. */
  write (text: string, length: number): number {
    if (this.#end - this.#base + length > this.#bytes.length) this.#makeRoom(length)
    const at = this.#end
    this.#bytes.write(text, at - this.#base, length, 'utf8')
    this.#end = at + length
    return at
  }

  /** The body written at `at` with `length` bytes, which must not have been released. */
  read (at: number, length: number): string {
    const from = at - this.#base
    return this.#bytes.toString('utf8', from, from + length)
  }

  /** Releases the oldest body held, written at `at` with `length` bytes (bodies are released in the order written). */
  release (at: number, length: number): void {
    if (at !== this.#start) throw new RangeError(`AnswerBytes: released ${at}, but the oldest body held is at ${this.#start}`)
    this.#start = at + length
    // Under an eighth in use: into a buffer of a quarter or less (nothing held: the first size), so the memory of a
    // burst is freed as its window ends, also when a trickle of pushes keeps a few bodies held.
    if (this.#bytes.length > AnswerBytes.INITIAL_BYTES && this.held < this.#bytes.length / 8) this.#moveInto(AnswerBytes.#sizeFor(this.held))
  }

  /** Moves the live bytes to the front, into a buffer with room for `length` more and at least half of it free. */
  #makeRoom (length: number): void {
    this.#moveInto(AnswerBytes.#sizeFor(this.held + length))
  }

  /** The first size doubled until `bytes` take at most half of it. */
  static #sizeFor (bytes: number): number {
    let size = AnswerBytes.INITIAL_BYTES
    while (bytes > size / 2) size *= 2
    return size
  }

  /** Copies the live bytes to the front of a buffer of `size` (this one when it has that size). */
  #moveInto (size: number): void {
    const from = this.#start - this.#base
    const to = this.#end - this.#base
    if (size === this.#bytes.length) {
      this.#bytes.copyWithin(0, from, to)
    } else {
      const bytes = Buffer.allocUnsafeSlow(size)
      this.#bytes.copy(bytes, 0, from, to)
      this.#bytes = bytes
    }
    this.#base = this.#start
  }
}

/**
 * lru-cache options that bound a cache to `max` entries without allocating for `max` up front. Given `max`,
 * lru-cache allocates its index arrays for all `max` slots when the cache is made (with a TTL about 44 B a slot:
 * 4.4 MB at the default 100,000), so an idle server held memory in proportion to SESSION_MAX and DEDUP_MAX before
 * the first push (issue 13). Counting every entry as size 1 against `maxSize` is the same bound (the least recently
 * used entry goes when a new one would pass it), and the arrays grow only as entries arrive.
 */
export function lruBound (max: number): { maxSize: number, sizeCalculation: () => number } {
  return { maxSize: max, sizeCalculation: entrySize }
}

const entrySize = (): number => 1

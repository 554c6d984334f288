import { compareIds, type SinceIdStore } from './since-id-store.ts'

/**
 * A position kept in memory only: a restart starts from Weibo's latest records. For a deployment that accepts that
 * gap, and for tests. `saved` reads the last id saved.
 */
export function createMemorySinceIdStore (initial?: string): SinceIdStore & { readonly saved: string | undefined } {
  let saved = initial
  return {
    get saved () { return saved },
    async load () { return saved },
    save (id) {
      if (saved === undefined || compareIds(id, saved) > 0) saved = id
    },
    async flush () {},
    async close () {}
  }
}

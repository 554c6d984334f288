import { signUrl } from '../src/simulator/callback-client.ts'

/**
 * Signs callback URLs for a load run and never gives the same one twice. Weibo's nonce has 8 digits and the
 * timestamp counts milliseconds: at 25,000 pushes a second, two URLs signed in one millisecond share a nonce about
 * once per million pushes (seen in the sixteenth session: one `rejected` push in some runs), and the server's replay
 * guard rightly refuses the second, which carries another body (401). Such a URL is signed again. The URLs of the
 * current and the previous millisecond are kept: a URL's timestamp is read after `Date.now()` below, so it is that
 * millisecond or the next.
 */
export function createFreshUrls (origin: string, path: string, secret: string): () => string {
  let millisecond = 0
  let current = new Set<string>()
  let previous = new Set<string>()
  return () => {
    const now = Date.now()
    if (now !== millisecond) {
      millisecond = now
      previous = current
      current = new Set()
    }
    for (;;) {
      const url = signUrl({ url: origin + path, secret }).slice(origin.length)
      if (current.has(url) || previous.has(url)) continue
      current.add(url)
      return url
    }
  }
}

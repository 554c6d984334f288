/**
 * Waits for `work` at most `ms`: true when it settled in time (fulfilled or not), false when the time ran out.
 * For shutdown steps, each of which must end within SHUTDOWN_TIMEOUT_MS whatever Redis or Weibo do.
 */
export async function within (work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(resolve, Math.max(0, ms), false) })
  try {
    return await Promise.race([work.then(() => true, () => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

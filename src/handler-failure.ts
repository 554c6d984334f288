import { detailOf } from './errors.ts'
import type { HandlerRun } from './handler-runner.ts'

/**
 * A failed handler run in one line for a developer's terminal (the test kit, `weibo-fanbot chat`): which handler,
 * the code, and the reason said once, e.g. `handler greet failed (WEIBO_ERR_HANDLER_THREW): api.txt is not a function`.
 * Undefined when the run did not fail.
 */
export function describeHandlerFailure (run: HandlerRun): string | undefined {
  if (run.result.status !== 'error') return undefined
  const { error } = run.result
  let reason: string
  switch (error.code) {
    case 'WEIBO_ERR_HANDLER_THREW':
      reason = error.cause instanceof Error ? error.cause.message : stripName(detailOf(error) ?? error.message, run.handler)
      break
    case 'WEIBO_ERR_HANDLER_TIMEOUT':
      reason = `still running after HANDLER_TIMEOUT_MS or at shutdown (${stripName(detailOf(error) ?? '', run.handler)}); abandoned`
      break
    default:
      // WEIBO_ERR_REPLY_INVALID: what is wrong with the returned value, every problem.
      reason = `returned a reply Weibo would reject: ${detailOf(error) ?? error.message}`
  }
  return `handler ${run.handler} failed (${error.code}): ${reason.replace(/\s*\n\s*/g, ' ')}`
}

function stripName (detail: string, handler: string): string {
  return detail.startsWith(`${handler}: `) ? detail.slice(handler.length + 2) : detail.startsWith(`${handler} `) ? detail.slice(handler.length + 1) : detail
}

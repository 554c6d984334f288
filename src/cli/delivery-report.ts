import type { DeliveryResult, Try } from '../simulator/callback-client.ts'
import { failure, oneLine } from './cli-error.ts'
import { describePush, indentUnder, labelled, replyLines } from './format.ts'
import { out } from './print.ts'

export interface DeliveryReport {
  /** The push as parsed from what was sent (for the summary line and the id check). */
  push: unknown
  url: string
  signed: boolean
  result: DeliveryResult
  /** Print the DeliveryResult as JSON instead of the readable report. */
  json: boolean
}

function describeTry (attempt: Try): string {
  const started = attempt.attempt === 1 ? '' : `, started at +${attempt.startedAtMs} ms`
  if (attempt.status !== undefined) return `HTTP ${attempt.status} in ${attempt.durationMs} ms${started}`
  if (attempt.error === 'timeout') return `no answer, gave up after ${attempt.durationMs} ms${started}`
  return `no connection: ${attempt.error ?? 'unknown error'} (${attempt.durationMs} ms${started})`
}

/** What the server's error body says, if it is our `{code, message}` JSON. */
function serverError (body: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { code?: unknown, message?: unknown }
    if (typeof parsed.code === 'string' && typeof parsed.message === 'string') return `${parsed.code}: ${parsed.message}`
  } catch {}
  return undefined
}

const STATUS_HINTS: Record<number, string> = {
  404: 'nothing answers at that path: check --url against the server\'s CALLBACK_PATH (default /weibo)',
  413: 'the push is larger than the server\'s BODY_LIMIT_BYTES'
}

function hintFor (status: number, signed: boolean): string | undefined {
  if (status === 401) {
    return signed
      ? 'the push was signed with --secret (or WEIBO_APP_SECRET here), which must be the server\'s WEIBO_APP_SECRET'
      : 'the push was unsigned (no --secret, no WEIBO_APP_SECRET here): give the server\'s app secret with --secret'
  }
  return STATUS_HINTS[status] ?? (status >= 500 ? 'the server failed: see its log' : undefined)
}

/** Why Weibo would count this push as failed, in one line, with what to check. */
export function explainFailure (result: DeliveryResult, target: { url: string, signed: boolean }): string {
  const { url } = target
  const last = result.tries[result.tries.length - 1]
  if (result.outcome === 'unanswered') {
    const timedOut = result.tries.every((attempt) => attempt.error === 'timeout')
    return timedOut
      ? `no answer within Weibo's 5-second wait in ${result.tries.length} tries: Weibo gives up; is the server stuck (something blocking its event loop?)`
      : `could not connect to ${url} in ${result.tries.length} tries (${last?.error ?? 'no answer'}): is the server running, and is the URL right?`
  }
  if (last?.status !== undefined && last.status !== 200) {
    const said = serverError(last.body) ?? (last.body === '' || last.body === undefined ? 'empty body' : last.body.slice(0, 200))
    const hint = hintFor(last.status, target.signed)
    return oneLine(`rejected: HTTP ${last.status}, ${said}${hint === undefined ? '' : `; ${hint}`}`)
  }
  return oneLine(`the answer is not a passive reply Weibo could use: ${result.problem ?? 'unknown problem'}`)
}

/** A passive reply must swap the push's ids, digit for digit, or Weibo would deliver it to someone else (or no one). */
function idWarning (push: unknown, reply: NonNullable<DeliveryResult['reply']>): string | undefined {
  const fields = push as { sender_id?: unknown, receiver_id?: unknown }
  const fan = String(fields.sender_id)
  const account = String(fields.receiver_id)
  if (reply.receiverId === fan && reply.senderId === account) return undefined
  return `warning: the reply goes from ${reply.senderId} to ${reply.receiverId}, but the push was from fan ${fan} to account ${account}`
}

/**
 * Prints what went out, each try, and what came back. A passive or blank answer is success; a rejected or
 * unanswered push throws a one-line failure (exit 1), after the report or the JSON.
 */
export function reportDelivery (report: DeliveryReport): void {
  const { result } = report
  if (report.json) {
    out(JSON.stringify(result, null, 2))
  } else {
    out(labelled('push', describePush(report.push)))
    out(labelled('to', `${report.url} (${report.signed ? 'signed' : 'unsigned'})`))
    for (const attempt of result.tries) out(labelled(`try ${attempt.attempt}`, describeTry(attempt)))
    if (result.outcome === 'passive' && result.reply !== undefined) {
      for (const line of indentUnder(`reply  passive ${result.reply.type}: `, replyLines(result.reply.type, result.reply.data))) out(line)
      const warning = idWarning(report.push, result.reply)
      if (warning !== undefined) out(labelled('', warning))
    } else if (result.outcome === 'blank') {
      out(labelled('reply', 'blank (HTTP 200, empty body): no reply now. If the handler is still working, its reply goes ' +
        'later through the server\'s WEIBO_API_BASE_URL (/2/messages/reply.json); `weibo-fanbot chat` shows late replies.'))
    }
  }
  if (result.outcome === 'rejected' || result.outcome === 'unanswered') throw failure(explainFailure(result, report))
}

import { clearLine, cursorTo, type Interface } from 'node:readline'
import type { ReplyQuota } from '../reply-quota/reply-quota.ts'
import type { ApiCall } from '../simulator/api-call-log.ts'
import type { ConversationEntry } from '../simulator/conversation.ts'
import type { Simulator } from '../simulator/simulator.ts'
import { indentUnder, replyLines } from './format.ts'
import { out } from './print.ts'

/** Moves to the start of the line, wiping a prompt (and anything typed after it). */
export function wipeLine (): void {
  clearLine(process.stdout, 0)
  cursorTo(process.stdout, 0)
}

/**
 * Prints a line; on a terminal it wipes the prompt first and redraws it (with what was typed) after, so a late
 * reply arriving while the fan types does not end up in the middle of their line. Once input has ended, no prompt.
 */
export function createChatPrinter (rl: Interface, tty: boolean): (line: string) => void {
  let closed = false
  rl.once('close', () => { closed = true })
  return (line) => {
    if (!tty || closed) return out(line)
    wipeLine()
    out(line)
    rl.prompt(true)
  }
}

const VIA_LABELS = {
  passive: 'bot (passive)',
  active: 'bot (late, via messages/reply)',
  'direct-message': 'bot (active, via direct_messages/send)'
} as const

export interface BotWatcher {
  /** A push was answered blank: a late reply may follow (chat waits for it at the end when the bot is elsewhere). */
  expectLate: () => void
  /** Late replies or refusals still expected (only meaningful for a bot in another process). */
  readonly lateExpected: number
  /** Reports refusals not reported yet; the poll does it too, this is for the end. */
  flush: () => void
  stop: () => void
}

/** A refused call in one line, as the platform would put it: what was refused, and Weibo's error JSON. */
function describeRefusal (call: ApiCall): string {
  const what = call.path.startsWith('/2/messages/reply') ? 'reply' : call.path.startsWith('/2/direct_messages') ? 'direct message' : 'call'
  const body = call.response as { error_code?: unknown, error?: unknown } | undefined
  const weibo = typeof body === 'object' && body !== null && body.error_code !== undefined
    ? `error_code ${String(body.error_code)}, ${String(body.error)}`
    : `no Weibo error body${call.fault === undefined ? '' : ` (fault ${call.fault})`}`
  return `weibo refused the bot's ${what} (${call.method} ${call.path}, HTTP ${call.status}): ${weibo}`
}

/**
 * Shows what the bot sends the fan as it happens: the conversation's bot entries (passive, late, direct
 * message), and the fake API's refusals (reply window, quota, bad payload), which only its call log records.
 */
export function watchBot (options: { sim: Simulator, fanId: string, print: (line: string) => void, quota?: ReplyQuota | undefined }): BotWatcher {
  const { sim, fanId, print } = options
  let lateExpected = 0
  const reported = new WeakSet<ApiCall>()

  // A bot in this process checks reply windows itself: its refusals never reach the fake API's call log.
  const stopRefusals = options.quota?.onRefusal((refusal) => {
    lateExpected = Math.max(0, lateExpected - 1)
    print(`the bot did not send its reply (${refusal.code}): ${refusal.message.replace(/^[^:]*: /, '')}`)
  })
  const unsubscribe = sim.conversation.subscribe((entry: ConversationEntry) => {
    if (entry.from !== 'bot') return
    if (entry.via !== 'passive') lateExpected = Math.max(0, lateExpected - 1)
    // Text is shown as the fan reads it; other types say what they are (`articles: 1. …`).
    const label = `${VIA_LABELS[entry.via]}${entry.fanId === fanId ? '' : ` to fan ${entry.fanId}`}: ${entry.type === 'text' ? '' : `${entry.type}: `}`
    for (const line of indentUnder(label, replyLines(entry.type, entry.data))) print(line)
  })

  function flush (): void {
    for (const call of sim.api.calls) {
      // status 0: still unanswered; its turn comes at the next poll.
      if (call.status < 400 || reported.has(call)) continue
      reported.add(call)
      lateExpected = Math.max(0, lateExpected - 1)
      print(describeRefusal(call))
    }
  }
  // The call log has no events to subscribe to; a light poll is enough for a person reading along.
  const timer = setInterval(flush, 100)
  timer.unref()

  return {
    expectLate: () => { lateExpected++ },
    get lateExpected () { return lateExpected },
    flush,
    stop () {
      clearInterval(timer)
      unsubscribe()
      stopRefusals?.()
    }
  }
}

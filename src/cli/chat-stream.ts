import { fakeScreenName } from '../simulator/fake-direct-message-route.ts'
import { DEFAULT_FAN_ID } from '../simulator/push-factory.ts'
import type { StreamPost } from './chat-input.ts'
import type { BotWatcher } from './chat-output.ts'
import type { ChatSession } from './chat-session.ts'

/** How long chat waits for the in-process bot to receive a record it published. */
export const RECORD_RECEIPT_MS = 3000
/** How long chat waits for the in-process bot's stream handler once the record has reached the bot. */
const HANDLER_WAIT_MS = 5000

const WHAT = { status: 'weibo', comment: 'comment' } as const

export interface StreamPosterOptions {
  session: ChatSession
  watcher: BotWatcher
  print: (line: string) => void
  /** Echo the fan's line (piped input). */
  echo: boolean
}

/**
 * Data ids from the clock (microseconds, 16 digits), new from one chat to the next: with REDIS_URL the bot
 * remembers the ids it has handled for an hour, and the fake's own ids would start from the same number each run.
 */
function createRecordIds (): () => string {
  let last = 0
  return () => {
    last = Math.max(last + 1, Date.now() * 1000)
    return String(last)
  }
}

/**
 * `/status` and `/comment`: the fan posts on Weibo, and the simulator's push stream carries it to whoever holds
 * the subscription. The in-process bot does: chat waits until it has handled the record, so the next line is
 * read only after its direct message (or refusal) has printed. A server elsewhere may hold it; chat cannot tell.
 */
export function createStreamPoster (options: StreamPosterOptions): (post: StreamPost) => Promise<void> {
  const { session, watcher, print } = options
  const nextId = createRecordIds()
  return async (post) => {
    const uid = DEFAULT_FAN_ID
    if (options.echo) print(`fan: [${WHAT[post.type]} on the push stream] ${post.text}`)
    const lastCall = session.sim.api.calls.at(-1) // the log is bounded: compare the newest call, not the count
    const record = session.sim.pushStream.publish({ type: post.type, text: post.text, uid, screenName: fakeScreenName(uid), id: nextId() })
    const { stream } = session
    if (stream === undefined) {
      print('     (published on the push stream: chat cannot see a server handle it, only the direct messages it sends)')
      return
    }
    const outcome = await stream.handled(record.id, { receiptMs: RECORD_RECEIPT_MS, handlerMs: HANDLER_WAIT_MS })
    watcher.flush() // a refused direct message, in order
    if (outcome === 'not-received') {
      print(`     (the bot has not received it within ${RECORD_RECEIPT_MS / 1000} s: its stream may be reconnecting; an answer may still come)`)
    } else if (outcome === 'still-running') {
      print(`     (the bot's handler is still at work after ${HANDLER_WAIT_MS / 1000} s; chat goes on)`)
    } else if (session.sim.api.calls.at(-1) === lastCall) {
      print(`     (the bot sent nothing in answer: no ${post.type} handler matched, or it chose not to)`)
    }
  }
}

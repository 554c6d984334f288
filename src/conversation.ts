import type { Handler, HandlerContext, HandlerResult, MatchContext, Trigger } from './handler.ts'
import type { Message, MessageType } from './message-schema.ts'
import type { Reply } from './reply.ts'
import { text } from './reply.ts'
import type { SessionData } from './session/session-store.ts'

/** Where a conversation keeps itself in the fan's session (`ctx.session.conversation`): one at a time per fan. */
export const CONVERSATION_KEY = 'conversation'

/** A running conversation as stored in the session: JSON only, so it survives restarts and replica changes. */
export interface ConversationRecord<D = unknown> {
  name: string
  /** The step the fan's next message goes to. */
  step: string
  data: D
  /** Wall-clock ms after which the step stops waiting. */
  expiresAt: number
}

/** What a step can do beside answering: its data, and where the fan's next message goes. */
export interface ConversationControl<D, K extends string> {
  /** This conversation's own data, kept in the session between steps; change it freely. */
  data: D
  /** The step running now. */
  readonly step: K
  /** The fan's next message goes to `step`. A step that calls neither `next` nor `stay` ends the conversation. */
  next: (step: K) => void
  /** The fan's next message comes back to this step (an answer that was not valid). */
  stay: () => void
}

export type StepContext<D, K extends string> = HandlerContext & { conversation: ConversationControl<D, K> }

export type Step<D, K extends string> = (message: Message, ctx: StepContext<D, K>) => HandlerResult | Promise<HandlerResult>

export interface ConversationOptions<D, K extends string> {
  /** Its name in logs and in the session. */
  name: string
  /** What starts it, like a handler's `on` and `match` (default `on`: `'text'`). */
  start: { on?: Trigger | readonly Trigger[], match?: string | RegExp | ((message: Message) => boolean) }
  /** Fresh data for a new run of the conversation. */
  initial: () => D
  /** The steps, by name: the first one answers the message that started the conversation. */
  steps: Record<K, Step<D, K>>
  /** Message types a waiting step takes (default text, image, voice, position); events and mentions go on to other handlers. */
  accepts?: readonly MessageType[]
  /** How long a step waits for the fan (default 10 minutes). Past it the conversation is over. */
  timeoutMs?: number
  /** Said to the fan whose answer came after the step stopped waiting; unset: that message is handled as a new one. */
  onTimeout?: Reply
  /** Texts that end the conversation at any step (trimmed, exact; default `取消`). */
  cancelWords?: readonly string[]
  /** Said when the fan cancels (default `已取消。`). */
  onCancel?: Reply
  /** Handler priority (default 100: a waiting conversation gets the fan's answer before keyword handlers). */
  priority?: number
  /** Wall clock, injectable in tests. */
  now?: () => number
}

const DEFAULT_ACCEPTS: readonly MessageType[] = ['text', 'image', 'voice', 'position']
const DEFAULT_TIMEOUT_MS = 10 * 60_000

function startMatches (match: ConversationOptions<unknown, string>['start']['match'], message: Message): boolean {
  if (match === undefined) return true
  if (typeof match === 'string') return message.text === match
  if (match instanceof RegExp) {
    match.lastIndex = 0
    return match.test(message.text)
  }
  return match(message)
}

/**
 * A multi-step flow as one handler: the first step answers the starting message, and each step says which step the
 * fan's next message goes to (`ctx.conversation.next`). Its state is the fan's session, so a conversation survives a
 * restart, moves between replicas, and advances once per push (a retry never runs a step twice: see fan-turn.ts).
 * The fan ends it with `取消`; a step waits `timeoutMs` at most.
 */
export function conversation<D, K extends string> (options: ConversationOptions<D, K>): Handler<Trigger> {
  const accepts = options.accepts ?? DEFAULT_ACCEPTS
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const cancelWords = options.cancelWords ?? ['取消']
  const now = options.now ?? Date.now
  const stepNames = Object.keys(options.steps) as K[]
  const first = stepNames[0]
  if (first === undefined) throw new TypeError(`conversation ${options.name}: give at least one step`)
  const startOn: readonly Trigger[] = options.start.on === undefined ? ['text'] : Array.isArray(options.start.on) ? options.start.on : [options.start.on as Trigger]

  const recordOf = (session: SessionData): ConversationRecord<D> | undefined => {
    const record = session[CONVERSATION_KEY] as ConversationRecord<D> | undefined
    return record?.name === options.name ? record : undefined
  }
  const waitingFor = (message: Message, session: SessionData): ConversationRecord<D> | undefined => {
    const record = recordOf(session)
    if (record === undefined || !accepts.includes(message.type)) return undefined
    // An expired step still takes the message when there is something to say about it (onTimeout).
    return record.expiresAt > now() || options.onTimeout !== undefined ? record : undefined
  }
  const starts = (message: Message): boolean =>
    startOn.some((trigger) => trigger === message.type || trigger === '*' || ('subtype' in message.data && trigger === `${message.type}:${String(message.data.subtype)}`)) &&
    startMatches(options.start.match, message)

  async function runStep (step: K, data: D, message: Message, ctx: HandlerContext): Promise<HandlerResult> {
    let next: K | undefined
    const control: ConversationControl<D, K> = {
      data,
      step,
      next: (name) => { next = name },
      stay: () => { next = step }
    }
    const run = options.steps[step]
    const result = await run(message, Object.assign(ctx, { conversation: control }))
    if (next === undefined) {
      delete ctx.session[CONVERSATION_KEY]
    } else {
      const record: ConversationRecord<D> = { name: options.name, step: next, data: control.data, expiresAt: now() + timeoutMs }
      ctx.session[CONVERSATION_KEY] = record
    }
    return result
  }

  return {
    name: options.name,
    on: [...new Set<Trigger>([...startOn, ...accepts])],
    priority: options.priority ?? 100,
    session: true, // its state is the session: the fan's pushes take turns and load it
    match: (message: Message, { session }: MatchContext) => waitingFor(message, session) !== undefined || starts(message),
    async handle (message: Message, ctx: HandlerContext) {
      const record = waitingFor(message, ctx.session)
      if (record !== undefined) {
        if (message.type === 'text' && cancelWords.includes(message.text.trim())) {
          delete ctx.session[CONVERSATION_KEY]
          return options.onCancel ?? text('已取消。')
        }
        const expired = record.expiresAt <= now()
        const step = record.step as K
        // The starting words again (a `match` is given) begin it anew: the fan lost his way.
        const restart = options.start.match !== undefined && starts(message)
        if (!expired && !restart && step in options.steps) return await runStep(step, record.data, message, ctx)
        delete ctx.session[CONVERSATION_KEY]
        if (expired && !starts(message)) return options.onTimeout
        // A step renamed or removed since the fan's last message: begin again rather than guess.
        if (!starts(message)) return undefined
      }
      return await runStep(first, options.initial(), message, ctx)
    }
  } as Handler<Trigger>
}

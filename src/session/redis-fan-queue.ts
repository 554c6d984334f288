import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from '../logger.ts'
import { defineScripts } from '../redis-scripts.ts'
import type { FanQueue, LeaveTurn, QueueEntry } from './fan-queue.ts'

// A fan's line is a sorted set: score = created_at (ms), member = Redis's clock at arrival (seconds, then
// microseconds zero-padded to 6 digits, so equal scores sort by arrival) + a ticket id. Every member has a lease key that its process renews while it waits or
// runs; a member whose lease lapsed belongs to a dead (or frozen) replica and is dropped by whoever finds it at the
// head. The scripts touch lease keys they derive from members: fine on one Redis, not on Redis Cluster.
const HEAD_CHECK = `
local function head_check (queue, member, leasePrefix)
  if redis.call('EXISTS', leasePrefix .. member) == 0 then
    redis.call('ZREM', queue, member)
    return -1
  end
  for _ = 1, 64 do
    local head = redis.call('ZRANGE', queue, 0, 0)[1]
    if head == nil then return -1 end
    if head == member then return 1 end
    if redis.call('EXISTS', leasePrefix .. head) == 1 then return 0 end
    redis.call('ZREM', queue, head)
  end
  return 0
end`

/** ENTER: KEYS[1] the line; ARGV score, ticket, leaseMs, lease prefix. Returns { member, 1 = your turn | 0 = wait }. */
const ENTER_SCRIPT = `${HEAD_CHECK}
local t = redis.call('TIME')
local member = t[1] .. string.rep('0', 6 - #t[2]) .. t[2] .. ARGV[2]
redis.call('ZADD', KEYS[1], ARGV[1], member)
redis.call('SET', ARGV[4] .. member, '1', 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
return { member, head_check(KEYS[1], member, ARGV[4]) }`

/** TURN: KEYS[1] the line; ARGV member, lease prefix. 1 = your turn, 0 = wait, -1 = your lease lapsed: enter again. */
const TURN_SCRIPT = `${HEAD_CHECK}
return head_check(KEYS[1], ARGV[1], ARGV[2])`

/** LEAVE: KEYS[1] the line; ARGV member, lease prefix. */
const LEAVE_SCRIPT = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', ARGV[2] .. ARGV[1])
return 1`

interface QueueCommands {
  fanbotQueueEnter: (line: string, score: number, ticket: string, leaseMs: number, leasePrefix: string) => Promise<[string, number]>
  fanbotQueueTurn: (line: string, member: string, leasePrefix: string) => Promise<number>
  fanbotQueueLeave: (line: string, member: string, leasePrefix: string) => Promise<number>
}

export interface RedisFanQueueOptions {
  redis: Redis
  prefix: string
  /** FAN_QUEUE_LEASE_MS: how long a dead replica's push can hold its fan's line. Renewed every third of it. */
  leaseMs: number
  /** How often a waiting push asks whether its turn came (pushes of this process are told at once). */
  pollMs?: number
  logger: Logger
}

interface Ticket {
  line: string
  member: string
}

/**
 * The fan queue shared by every replica on Redis: a fan's pushes take turns across replicas, by `created_at` then
 * arrival at Redis. Uncontended, a turn costs two scripts (enter, leave). A Redis error rejects `enter`: the caller
 * decides (fan-turn.ts runs the push without its turn rather than not at all).
 */
export function createRedisFanQueue (options: RedisFanQueueOptions): FanQueue {
  const redis = defineScripts<QueueCommands>(options.redis, {
    fanbotQueueEnter: { numberOfKeys: 1, lua: ENTER_SCRIPT },
    fanbotQueueTurn: { numberOfKeys: 1, lua: TURN_SCRIPT },
    fanbotQueueLeave: { numberOfKeys: 1, lua: LEAVE_SCRIPT }
  })
  const leasePrefix = `${options.prefix}:fanq-lease:`
  const processId = randomBytes(6).toString('base64url')
  const pollMs = options.pollMs ?? 25
  let tickets = 0
  /** Tickets of this process (waiting or running): their leases are renewed together. */
  const live = new Set<Ticket>()
  /** Waiters of this process by line: a leave here wakes them without waiting for the poll. */
  const wakers = new Map<string, Set<() => void>>()

  const renewal = setInterval(() => {
    if (live.size === 0) return
    const pipeline = redis.pipeline()
    for (const ticket of live) {
      pipeline.pexpire(leasePrefix + ticket.member, options.leaseMs)
      pipeline.pexpire(ticket.line, 2 * options.leaseMs)
    }
    pipeline.exec().catch((error: unknown) => {
      options.logger.warn({ fanQueue: { error: error instanceof Error ? error.message : String(error) } }, 'fan queue lease renewal failed')
    })
  }, Math.max(10, Math.floor(options.leaseMs / 3)))
  renewal.unref()

  function wakeLine (line: string): void {
    for (const wake of wakers.get(line) ?? []) wake()
  }

  function leaveOf (ticket: Ticket): LeaveTurn {
    let left = false
    return () => {
      if (left) return
      left = true
      live.delete(ticket)
      redis.fanbotQueueLeave(ticket.line, ticket.member, leasePrefix)
        .catch((error: unknown) => {
          // The lease lapses on its own: the next push of this fan waits at most FAN_QUEUE_LEASE_MS.
          options.logger.warn({ fanQueue: { error: error instanceof Error ? error.message : String(error) } }, 'fan queue leave failed')
        })
        .finally(() => { wakeLine(ticket.line) })
    }
  }

  async function enterLine (line: string, score: number): Promise<{ ticket: Ticket, granted: boolean }> {
    const [member, turn] = await redis.fanbotQueueEnter(line, score, `:${processId}:${tickets++}`, options.leaseMs, leasePrefix)
    const ticket = { line, member }
    live.add(ticket)
    return { ticket, granted: turn === 1 }
  }

  async function waitForTurn (first: Ticket, score: number, signal: AbortSignal): Promise<Ticket> {
    let ticket = first
    const line = ticket.line
    const lineWakers = wakers.get(line) ?? new Set()
    wakers.set(line, lineWakers)
    let wake: () => void = () => {}
    const woken = (): void => { wake() }
    lineWakers.add(woken)
    try {
      for (;;) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs)
          wake = () => { clearTimeout(timer); resolve() }
          if (signal.aborted) wake()
          else signal.addEventListener('abort', wake, { once: true })
        })
        signal.removeEventListener('abort', wake)
        signal.throwIfAborted()
        const turn = await redis.fanbotQueueTurn(line, ticket.member, leasePrefix)
        if (turn === 1) return ticket
        if (turn === -1) {
          // Our lease lapsed (this process froze longer than FAN_QUEUE_LEASE_MS): queue again, at the back.
          live.delete(ticket)
          const again = await enterLine(line, score)
          ticket = again.ticket
          if (again.granted) return ticket
        }
      }
    } catch (error) {
      leaveOf(ticket)() // aborted, or Redis failed: the ticket must not hold the line until its lease lapses
      throw error
    } finally {
      lineWakers.delete(woken)
      if (lineWakers.size === 0) wakers.delete(line)
    }
  }

  return {
    get size () { return live.size },
    async enter ({ fanKey, createdAtMs, signal }: QueueEntry) {
      signal.throwIfAborted()
      const line = `${options.prefix}:fanq:${fanKey}`
      const { ticket, granted } = await enterLine(line, createdAtMs)
      if (granted) return leaveOf(ticket)
      return leaveOf(await waitForTurn(ticket, createdAtMs, signal))
    },
    async close () {
      clearInterval(renewal)
    }
  }
}

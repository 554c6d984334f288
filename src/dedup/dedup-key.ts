import { sha1 } from '../hash.ts'
import type { Message } from '../message-schema.ts'

/**
 * The identity of a push across Weibo's retries: the receiving account (one server may serve several, and the
 * cached passive reply names it), `sender_id` and `created_at` (Weibo's advice) plus a short digest
 * of the content, because `created_at` has one-second resolution and a fan can send two messages in one second.
 */
export function dedupKey (message: Message): string {
  const digest = sha1(JSON.stringify([message.type, message.text, message.data]), 'base64url').slice(0, 16)
  // join() copies into one flat string; a template literal would keep a chain of pieces and the sliced digest's
  // parent alive for as long as the key sits in the dedup cache (measured: ~175 B per entry at 1,000,000 entries).
  return [message.receiver_id, message.sender_id, message.created_at, digest].join('|')
}

import type { ReplyQuota } from './reply-quota.ts'

/** The key one account's fan is tracked under: Weibo counts windows and quotas per account and fan. */
export function accountFanKey (accountUid: string, fanId: string): string {
  return `${accountUid}:${fanId}`
}

/**
 * One account's view of the reply tracker (several accounts on one server): every fan is tracked under
 * `<uid>:<fan>`, so a fan writing to two accounts has two windows and two quotas, as on Weibo. The store, its
 * bound and the refusal listeners stay shared. With one account the tracker is used as it is (keys unchanged).
 */
export function scopeQuota (quota: ReplyQuota, accountUid: string): ReplyQuota {
  return {
    limits: quota.limits,
    record: async (push) => { await quota.record({ ...push, sender_id: accountFanKey(accountUid, push.sender_id) }) },
    take: async (fanId, count) => await quota.take(accountFanKey(accountUid, fanId), count),
    refund: async (ticket, unsent) => { await quota.refund(ticket, unsent) },
    checkFollower: async (fanId) => { await quota.checkFollower(accountFanKey(accountUid, fanId)) },
    onRefusal: (listener) => quota.onRefusal(listener)
  }
}

import type { Account, Accounts } from '../accounts.ts'
import type { Message } from '../message-schema.ts'
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

/** The reply tracker as each account sees it, and what records the fans' pushes into it (see `scopeQuota`). */
export interface AccountQuotas {
  /** The account's view; undefined with REPLY_QUOTA_ENFORCE=false. */
  of: (account: Account) => ReplyQuota | undefined
  /** Records a push under its receiving account (the dispatcher's `quota`); undefined when nothing is tracked. */
  recorder: { record: (push: Message) => void | Promise<void> } | undefined
}

/** One view per account of the file; the single account of the environment uses the tracker as it is. */
export function createAccountQuotas (accounts: Accounts, quota: ReplyQuota | undefined): AccountQuotas {
  const views = new Map(accounts.list.map((account) => [account, quota === undefined || account.uid === undefined ? quota : scopeQuota(quota, account.uid)]))
  const single = accounts.list.every((account) => account.uid === undefined)
  return {
    of: (account) => views.get(account),
    recorder: quota === undefined || single
      ? quota
      : {
          async record (push) {
            const account = accounts.find(push.receiver_id)
            await (account === undefined ? undefined : views.get(account))?.record(push)
          }
        }
  }
}

import { conversation, text } from '../src/index.ts'
import { findOrder } from './_orders.ts'

interface OrderLookup {
  /** Invalid numbers given so far. */
  misses: number
}

const MAX_MISSES = 3

// A conversation in two steps: 查订单 → "请输入订单号" → the number → the order's status. Its state lives in the
// fan's session, so the answer may reach any replica, after a restart, up to 10 minutes later. 取消 ends it.
export default conversation<OrderLookup, 'ask' | 'number'>({
  name: 'order-lookup',
  start: { on: 'text', match: /^\s*(查订单|订单查询)\s*$/ },
  initial: () => ({ misses: 0 }),
  timeoutMs: 10 * 60_000,
  onTimeout: text('查订单已超时，请重新发送「查订单」。'),
  steps: {
    ask (_message, ctx) {
      ctx.conversation.next('number')
      return text('请输入 6 位订单号（回复「取消」退出）')
    },
    async number (message, ctx) {
      const number = message.type === 'text' ? message.text.trim() : ''
      if (!/^\d{6}$/.test(number)) {
        ctx.conversation.data.misses++
        if (ctx.conversation.data.misses >= MAX_MISSES) return text('订单号不对，已退出查询。需要帮助请回复「帮助」。')
        ctx.conversation.stay()
        return text('订单号是 6 位数字，请重新输入（回复「取消」退出）')
      }
      // ctx.signal: the lookup stops when the handler's time (HANDLER_TIMEOUT_MS) is up.
      const order = await findOrder(number, ctx.signal)
      if (order === undefined) {
        ctx.conversation.stay()
        return text(`没有找到订单 ${number}，请核对后重新输入（回复「取消」退出）`)
      }
      return text(`订单 ${number}：${order.status}。${order.detail}`)
    }
  }
})

import { defineHandler, text } from 'weibo-fanbot'

// A fan writes "价格" (or "price"): the answer goes back in the response to Weibo's push, within its 5 seconds.
export default defineHandler({
  on: 'text',
  match: /^(价格|price)$/i,
  handle: () => text('中杯 15 元，大杯 18 元。回复「门店」查最近的门店。')
})

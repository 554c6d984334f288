import { defineHandler, text } from 'weibo-fanbot'

// A new follower gets a welcome. `event:follow` narrows the message: message.data.subtype is 'follow'.
export default defineHandler({
  on: 'event:follow',
  handle: () => text('感谢关注！回复「价格」看价目表。')
})

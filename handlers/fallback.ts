import { defineHandler, text } from '../src/index.ts'

// Priority -1 puts this after every default-priority text handler, even though "fallback.ts" sorts before
// "text-keyword.ts". It listens to text only: an `on: '*'` catch-all would also answer events such as
// unsubscribe, where a "send 帮助" hint makes no sense.
export default defineHandler({
  on: 'text',
  priority: -1,
  handle: () => text('抱歉，这句我还没学会～回复「帮助」看看我能做什么，或留言等客服回复。')
})

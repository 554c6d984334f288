import { defineHandler, text } from '../src/index.ts'

// Weibo allows ONE reply per mention within 48 hours, so this passive reply is the only one we get: make it
// count, and do not follow up through ctx.api.
export default defineHandler({
  on: 'mention',
  // A match function sees the whole message. A bare "@青柚茶饮" carries no question, so we keep our single reply
  // for mentions where the fan actually wrote something.
  match: (message) => message.text.replace(/@[^\s:：]+[:：]?/g, '').trim() !== '',
  handle (message, ctx) {
    // data.key is the id of the status or comment we were mentioned in (statuses/show, comments/show_batch).
    ctx.log.info({ mention: { subtype: message.data.subtype, key: message.data.key } }, 'answering a mention')
    return message.data.subtype === 'status'
      ? text('谢谢你在微博里@我们！想了解活动请私信回复「活动」，门店问题发送位置给我们就好。')
      : text('谢谢你的评论！有任何问题都可以私信我们，客服工作日 2 小时内回复。')
  }
})

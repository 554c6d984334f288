import { defineHandler, WeiboApiError } from '../src/index.ts'

// Keyword monitoring on the commercial push stream (set WEIBO_PUSH_SUBID): when someone posts a weibo naming the
// brand, message its author. A stream record has no conversation, so the handler sends a direct message itself.
export default defineHandler({
  on: 'status',
  match: /青柚|qingyou/i,
  async handle (message, ctx) {
    const author = message.user
    const facts = { id: message.id, keyword: message.match_info?.keyword, author: author.id }
    if (author.id === undefined) {
      ctx.log.warn({ stream: facts }, 'matching weibo without an author uid; nobody to message')
      return
    }
    const greeting = author.screen_name === undefined ? '你好' : `你好 @${author.screen_name}`
    try {
      await ctx.api.directMessages.send({
        uid: author.id,
        text: `${greeting}，看到你提到了青柚茶饮，谢谢！回复「活动」看看本周的优惠吧。`
      })
      ctx.log.info({ stream: facts }, 'messaged the author of a weibo that names us')
    } catch (error) {
      // 20301: Weibo lets an account message its followers only. Not an error worth an alert.
      if (error instanceof WeiboApiError && error.errorCode === 20301) {
        ctx.log.info({ stream: facts }, 'the author does not follow us: not messaged')
        return
      }
      throw error
    }
  }
})

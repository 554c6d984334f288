import { articles, defineHandler, text } from '../src/index.ts'

// One file, several handlers: an array default export keeps a family of keyword replies together.
// Text nobody matches here goes on to fallback.ts (priority -1).
export default [
  defineHandler({
    name: 'greeting',
    on: 'text',
    // A RegExp is tested on the whole text: a greeting may come with more words ("你好，请问…").
    // The lookahead keeps "history" or "hiking" from counting as "hi".
    match: /^\s*(你好|您好|hello|hi)(?![a-z])/i,
    handle: () => text('你好呀，欢迎来到青柚茶饮！回复「活动」看本月优惠，回复「帮助」看我能做什么。')
  }),

  defineHandler({
    name: 'help',
    on: 'text',
    // Anchored at both ends: "帮助" is a command, not a word inside a longer sentence.
    match: /^\s*(帮助|help|\?|？)\s*$/i,
    handle: () => text([
      '你可以这样找我：',
      '· 回复「活动」：本月优惠',
      '· 发送位置：查离你最近的门店',
      '· 发图片或语音：转给客服，工作日 2 小时内回复',
      '· 点菜单「会员」：查积分'
    ].join('\n'))
  }),

  defineHandler({
    name: 'campaign',
    on: 'text',
    // A string matches only when the text is exactly equal: cheap and unambiguous for menu-style words.
    match: '活动',
    // One article shows as a large card; Weibo allows up to 8 but recommends 1 or 3.
    handle: () => articles({
      display_name: '青柚夏日季 · 第二杯半价',
      summary: '7 月 1 日至 31 日，全国门店指定饮品第二杯半价，会员积分翻倍。',
      image: 'https://example.com/qingyou/summer.jpg',
      url: 'https://example.com/qingyou/summer'
    })
  })
]

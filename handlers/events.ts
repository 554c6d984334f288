import { defineHandler, text, type Reply } from '../src/index.ts'

// `event:<subtype>` triggers route on data.subtype and narrow the message type, so each handler sees only the
// fields its event carries. Subtypes nobody listens to (here only unsubscribe) get a blank answer.

// Scene ids are ours: we chose them when creating the QR codes (eps/qrcode/create). Weibo sends them back in
// data.key as `QR_SCENE_<id>` (temporary code) or `QR_LIMIT_SCENE_<id>` (permanent code).
const SHOPS: Record<string, string> = {
  7: '静安寺店',
  123123: '国贸快闪店'
}

function shopOf (key: string | undefined): string | undefined {
  const sceneId = /^QR_(?:LIMIT_)?SCENE_(\d+)$/.exec(key ?? '')?.[1]
  return sceneId === undefined ? undefined : SHOPS[sceneId]
}

// Custom-menu "click" buttons send the button's key, which we set when creating the menu (messages/menu/create).
// A Map rather than an object literal: a key such as "constructor" must not find something on Object.prototype.
const MENU = new Map<string, Reply>([
  ['get_groupon', text('团购券在「青柚茶饮」小程序首页领取，每人每天限领 1 张，全国门店通用。')],
  ['member_points', text('查积分：登录小程序「我的」页；每消费 1 元积 1 分，100 分可换一杯中杯饮品。')],
  ['contact', text('客服热线 400-000-0000（9:00–21:00），也可以直接在这里留言。')]
])

export default [
  defineHandler({
    on: 'event:follow',
    handle: () => text('感谢关注青柚茶饮！回复「活动」看本月优惠，发送位置查最近的门店。')
  }),

  defineHandler({
    on: 'event:unfollow',
    // Weibo refuses any reply once the fan has unfollowed, so return nothing; the log is for the statistics.
    handle (message, ctx) {
      ctx.log.info({ unfollow: { fan: message.sender_id } }, 'fan unfollowed')
      return undefined
    }
  }),

  defineHandler({
    on: 'event:subscribe',
    // data carries nothing more; text is the keyword the fan sent to subscribe, or 订阅事件消息 for the button.
    handle: () => text('订阅成功！每周三给你推送新品和会员日优惠。')
  }),

  defineHandler({
    // One handler for two triggers: both scans carry the scene key, only the greeting differs.
    on: ['event:scan', 'event:scan_follow'],
    handle (message) {
      const shop = shopOf(message.data.key)
      const hello = message.data.subtype === 'scan_follow' ? '感谢关注青柚茶饮！' : '欢迎回来！'
      return text(shop === undefined
        ? `${hello}回复「活动」看本月优惠。`
        : `${hello}欢迎光临${shop}，到店出示本消息，第二杯半价。`)
    }
  }),

  defineHandler({
    on: 'event:click',
    handle (message, ctx) {
      const reply = MENU.get(message.data.key ?? '')
      // A key we do not know means the menu was changed on Weibo before this code was: say nothing rather
      // than something wrong, and leave a trace.
      if (reply === undefined) ctx.log.warn({ menuKey: message.data.key }, 'click on an unknown menu key')
      return reply
    }
  }),

  defineHandler({
    on: 'event:view',
    // A "view" button already opens its URL (data.key) in the fan's app; a message on top would only be noise.
    handle: () => undefined
  })
]

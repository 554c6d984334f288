import { defineHandler, text } from '../src/index.ts'

// ctx.log is a child logger already carrying the handler name and the push's dedup key, so a support tool can
// find the picture again from the log line.
export default defineHandler({
  on: 'image',
  handle (message, ctx) {
    // data.tovfid is the id our account downloads the picture with (vfid is the fan's own copy).
    ctx.log.info({ image: { fan: message.sender_id, tovfid: message.data.tovfid } }, 'fan sent an image')
    return text('图片收到啦！如果是订单或小票问题，客服会在工作日 2 小时内联系你。')
  }
})

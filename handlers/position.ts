import { defineHandler, text } from '../src/index.ts'

// Weibo sends coordinates as strings ("116.308586"); they are passed on untouched, so nothing is lost to
// floating point. Convert with Number() only when you compute with them (e.g. a nearest-store lookup).
export default defineHandler({
  on: 'position',
  handle (message) {
    const { longitude, latitude } = message.data
    // A passive reply is a single message; position(longitude, latitude) would send a store's location
    // instead of text, but text can also carry opening hours.
    return text(`收到你的位置（经度 ${longitude}，纬度 ${latitude}）。离你最近的是青柚中关村店，步行约 8 分钟，营业时间 8:00–22:00。`)
  }
})

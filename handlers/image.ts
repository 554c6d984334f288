import { defineHandler, text, type DownloadedMedia } from '../src/index.ts'

/** Width × height from a PNG's IHDR chunk, or undefined for another format (JPEG needs a marker walk: not shown here). */
function pngSize (data: Buffer): { width: number, height: number } | undefined {
  const PNG_SIGNATURE = '89504e470d0a1a0a'
  if (data.length < 24 || data.subarray(0, 8).toString('hex') !== PNG_SIGNATURE) return undefined
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) }
}

function describe (image: DownloadedMedia): string {
  const size = pngSize(image.data)
  const kilobytes = (image.data.length / 1024).toFixed(1)
  return size === undefined ? `${kilobytes} KB` : `${size.width}×${size.height}，${kilobytes} KB`
}

// Downloads the picture the fan sent (mss/msget with data.tovfid, through ctx.download) and says what arrived.
// A slow download is safe: past REPLY_DEADLINE_MS the bot answers Weibo blank and sends this reply actively.
export default defineHandler({
  on: 'image',
  async handle (message, ctx) {
    const fan = message.sender_id
    const tovfid = message.data.tovfid // the id our account downloads with (vfid is the fan's own copy)
    try {
      const image = await ctx.download()
      // ctx.log already carries the handler name and the push's dedup key: a support tool can find the picture again.
      ctx.log.info({ image: { fan, tovfid, contentType: image.contentType, bytes: image.data.length } }, 'fan sent an image')
      return text(`图片收到啦（${describe(image)}）！如果是订单或小票问题，客服会在工作日 2 小时内联系你。`)
    } catch (error) {
      ctx.log.warn({ err: error, image: { fan, tovfid } }, 'could not download the fan\'s image')
      return text('图片收到啦！不过暂时没能打开它，方便的话请再发一次。')
    }
  }
})

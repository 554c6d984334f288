// No import at all: a handler module is just a default-exported object, and a reply is plain data.
// defineHandler() only adds types; without it `message` and `ctx` are untyped, so this one uses neither.
export default {
  on: 'voice',
  // A voice push carries data.tovfid, the id our account downloads the recording with (vfid is the fan's copy):
  // GET upload.api.weibo.com/2/mss/msget?fid=<tovfid> with the fan-service access token. Transcribing takes
  // longer than Weibo's 5-second window, so hand that to a queue of your own rather than waiting here.
  handle () {
    return { type: 'text', text: '收到你的语音啦！客服小青会尽快收听，工作日 2 小时内回复你。' }
  }
}

import { defineHandler, text } from '../src/index.ts'
export default defineHandler({ on: 'text', match: /^(hi|hello|你好)/i, handle: () => text('你好！') })

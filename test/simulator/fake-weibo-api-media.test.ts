import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inflateSync } from 'node:zlib'
import { mediaFileFor } from '../../src/simulator/media-files.ts'
import { API_TOKEN, startFakeApi, weiboError } from '../helpers/simulator-api.ts'

/** Splits a PNG into its chunks, checking each CRC (zlib's crc32 is there on the Node that runs the tests). */
function pngChunks (bytes: Buffer): Array<{ type: string, data: Buffer }> {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const chunks: Array<{ type: string, data: Buffer }> = []
  let offset = 8
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset)
    const type = bytes.subarray(offset + 4, offset + 8).toString('latin1')
    const data = bytes.subarray(offset + 8, offset + 8 + length)
    const crc = bytes.readUInt32BE(offset + 8 + length)
    assert.equal(crc, crc32(bytes.subarray(offset + 4, offset + 8 + length)), `CRC of ${type}`)
    chunks.push({ type, data })
    offset += 12 + length
  }
  return chunks
}

function crc32 (bytes: Buffer): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = (crc & 1) !== 0 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

describe('fake Weibo API: mss/msget', () => {
  it('serves an even fid as a valid 8×8 PNG attachment', async (t) => {
    const { api } = startFakeApi(t)
    const response = await api.app.inject({ method: 'GET', url: `/2/mss/msget?access_token=${API_TOKEN}&fid=821804468` })
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['content-type'], 'image/png')
    assert.equal(response.headers['content-disposition'], 'attachment; filename=821804468.png')
    const chunks = pngChunks(response.rawPayload)
    assert.deepEqual(chunks.map((chunk) => chunk.type), ['IHDR', 'IDAT', 'IEND'])
    const header = chunks[0]?.data
    assert.ok(header !== undefined)
    assert.deepEqual([header.readUInt32BE(0), header.readUInt32BE(4), header[8], header[9]], [8, 8, 8, 2])
    assert.equal(inflateSync(chunks[1]?.data ?? Buffer.alloc(0)).length, 8 * (1 + 8 * 3))
  })

  it('serves an odd fid (a push\'s tovfid, say) as an AMR voice file', async (t) => {
    const { api } = startFakeApi(t)
    const response = await api.app.inject({ method: 'GET', url: `/2/mss/msget?fid=821804469&access_token=${API_TOKEN}` })
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['content-type'], 'audio/amr')
    assert.equal(response.headers['content-disposition'], 'attachment; filename=821804469.amr')
    const bytes = response.rawPayload
    assert.equal(bytes.subarray(0, 6).toString('latin1'), '#!AMR\n')
    assert.equal(bytes.length, 6 + 10 * 32)
    for (let frame = 0; frame < 10; frame++) assert.equal(bytes[6 + frame * 32], 0x3c, `frame ${frame} header`)
  })

  it('gives the same bytes for the same fid, and different bytes for another', async (t) => {
    const { api } = startFakeApi(t)
    const get = async (fid: string): Promise<Buffer> =>
      (await api.app.inject({ method: 'GET', url: `/2/mss/msget?fid=${fid}&access_token=${API_TOKEN}` })).rawPayload
    assert.deepEqual(await get('100'), await get('100'))
    assert.deepEqual(await get('100'), mediaFileFor('100').bytes)
    assert.notDeepEqual(await get('100'), await get('102'))
    assert.deepEqual(await get('101'), await get('101'))
    assert.notDeepEqual(await get('101'), await get('103'))
  })

  const refusals: Array<{ name: string, query: string, status: number, errorCode: number }> = [
    { name: 'no token', query: 'fid=12', status: 401, errorCode: 21301 },
    { name: 'a wrong token', query: 'fid=12&access_token=nope', status: 401, errorCode: 21332 },
    { name: 'no fid', query: `access_token=${API_TOKEN}`, status: 400, errorCode: 10016 },
    { name: 'a fid that is not decimal', query: `fid=abc&access_token=${API_TOKEN}`, status: 400, errorCode: 10017 },
    { name: 'the fid of no file (0)', query: `fid=0&access_token=${API_TOKEN}`, status: 404, errorCode: 20305 }
  ]
  for (const refusal of refusals) {
    it(`refuses ${refusal.name} with ${refusal.errorCode} as Weibo JSON`, async (t) => {
      const { api } = startFakeApi(t)
      const response = await api.app.inject({ method: 'GET', url: `/2/mss/msget?${refusal.query}` })
      assert.equal(response.statusCode, refusal.status)
      assert.match(String(response.headers['content-type']), /^application\/json/)
      assert.equal(weiboError(response).request, '/2/mss/msget')
      assert.equal(weiboError(response).error_code, refusal.errorCode)
    })
  }

  it('is GET only', async (t) => {
    const { api } = startFakeApi(t)
    const response = await api.app.inject({ method: 'POST', url: `/2/mss/msget?fid=12&access_token=${API_TOKEN}` })
    assert.equal(weiboError(response).error_code, 10021)
  })
})

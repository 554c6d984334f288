import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'

/** A generated media file, as `/2/mss/msget` serves it. */
export interface MediaFile {
  bytes: Buffer
  contentType: 'image/png' | 'audio/amr'
  filename: string
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const IMAGE_SIZE = 8
const AMR_HEADER = Buffer.from('#!AMR\n', 'latin1')
// AMR-NB 12.2 kbit/s frame: header byte 0 FT=7 Q=1 00 (0x3c), then 31 bytes of speech bits: 20 ms each.
const AMR_FRAME_HEADER = 0x3c
const AMR_FRAME_BYTES = 31
const AMR_FRAMES = 10

/* zlib.crc32 only exists from Node 20.15/22.2; engines allow any Node 20, so PNG's CRC-32 is computed here. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32 (bytes: Buffer): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function pngChunk (type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** Bytes that depend only on the fid, so the same fid always gives the same file. */
function seededBytes (fid: string, length: number): Buffer {
  const chunks: Buffer[] = []
  for (let block = 0; chunks.length * 32 < length; block++) {
    chunks.push(createHash('sha256').update(`${fid}:${block}`).digest())
  }
  return Buffer.concat(chunks).subarray(0, length)
}

/** An 8×8 RGB PNG: a two-colour checkerboard whose colours come from the fid. */
function pngFor (fid: string): Buffer {
  const colours = seededBytes(fid, 6)
  const header = Buffer.alloc(13)
  header.writeUInt32BE(IMAGE_SIZE, 0)
  header.writeUInt32BE(IMAGE_SIZE, 4)
  header.set([8, 2, 0, 0, 0], 8) // bit depth 8, colour type 2 (RGB), deflate, no filter, no interlace
  const rows: number[] = []
  for (let y = 0; y < IMAGE_SIZE; y++) {
    rows.push(0) // filter type None
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const offset = (x + y) % 2 === 0 ? 0 : 3
      rows.push(...colours.subarray(offset, offset + 3))
    }
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.from(rows))),
    pngChunk('IEND', Buffer.alloc(0))
  ])
}

/** A 200 ms AMR-NB file: the storage header, then ten 12.2 kbit/s frames of fid-seeded bits. */
function amrFor (fid: string): Buffer {
  const speech = seededBytes(fid, AMR_FRAMES * AMR_FRAME_BYTES)
  const frames: Buffer[] = []
  for (let frame = 0; frame < AMR_FRAMES; frame++) {
    frames.push(Buffer.from([AMR_FRAME_HEADER]), speech.subarray(frame * AMR_FRAME_BYTES, (frame + 1) * AMR_FRAME_BYTES))
  }
  return Buffer.concat([AMR_HEADER, ...frames])
}

/**
 * The file behind a media fid. Weibo's images and voice share one fid space; the fake tells them apart by parity
 * (even: image, odd: voice) so a test can ask for either without setting anything up. `fid` must be decimal.
 */
export function mediaFileFor (fid: string): MediaFile {
  const even = Number(fid.at(-1)) % 2 === 0
  return even
    ? { bytes: pngFor(fid), contentType: 'image/png', filename: `${fid}.png` }
    : { bytes: amrFor(fid), contentType: 'audio/amr', filename: `${fid}.amr` }
}

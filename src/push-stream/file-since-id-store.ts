import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '../logger.ts'
import { createCoalescedWriter, sinceIdStoreOf } from './coalesced-writer.ts'
import type { SinceIdStore } from './since-id-store.ts'

export interface FileSinceIdStoreOptions {
  /** The file; its folder is created when missing. Content: the id and a newline, nothing else. */
  path: string
  logger: Logger
}

/**
 * Keeps the push stream's position in a small file, written atomically (a temp file in the same folder, synced,
 * then renamed over the old one), so a crash leaves the old position or the new one, never half a file.
 */
export function createFileSinceIdStore (options: FileSinceIdStoreOptions): SinceIdStore {
  const { logger } = options
  const file = path.resolve(options.path)
  const folder = path.dirname(file)
  let folderReady = false

  async function write (id: string): Promise<void> {
    if (!folderReady) {
      await mkdir(folder, { recursive: true })
      folderReady = true
    }
    const temp = path.join(folder, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
    try {
      const handle = await open(temp, 'w', 0o644)
      try {
        await handle.writeFile(`${id}\n`)
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temp, file)
    } catch (error) {
      folderReady = false // the folder may have gone: make it again on the next try
      await rm(temp, { force: true }).catch(() => {})
      throw error
    }
  }

  const writer = createCoalescedWriter({
    write,
    onFailing (error) {
      logger.error({ err: error, pushStream: { code: 'WEIBO_ERR_STREAM_SINCE_ID_UNWRITABLE', path: file } },
        'cannot save the push stream position (since_id): a restart would replay from the last saved one; check the file and its folder are writable (retrying on each save, logged once until it works)')
    },
    onRecovered () {
      logger.info({ pushStream: { path: file } }, 'push stream position (since_id) saved again')
    }
  })

  return sinceIdStoreOf({
    writer,
    where: { path: file },
    logger,
    async read () {
      try {
        return await readFile(file, 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        // Unreadable: start like a first run (the latest records) rather than never; the writes will say more.
        logger.warn({ err: error, pushStream: { path: file } }, 'cannot read the saved push stream position; starting without since_id')
        return undefined
      }
    }
  })
}

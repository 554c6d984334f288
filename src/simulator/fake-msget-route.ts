import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { WeiboRefusal } from './fake-api-errors.ts'
import type { FakeApiContext } from './fake-api-context.ts'
import { checkToken, DIGITS, parseParams, readParams } from './fake-api-params.ts'
import { mediaFileFor } from './media-files.ts'

export const MSGET_PATH = '/2/mss/msget'

const MsgetQuerySchema = z.object({ fid: z.string().regex(DIGITS, 'must be a decimal file id (the push\'s tovfid)') })

/**
 * `GET /2/mss/msget?fid=…&access_token=…` (protocol §5): the raw file as an attachment. Every decimal fid has a
 * generated file (even: PNG image, odd: AMR voice) except an all-zero one, which is how a test asks for "not found".
 */
export function fakeMsgetRoute (app: FastifyInstance, context: FakeApiContext): void {
  app.get(MSGET_PATH, async (request, reply) => {
    const params = readParams(request)
    checkToken(params, context.accounts)
    const { fid } = parseParams(MsgetQuerySchema, params)
    if (/^0+$/.test(fid)) throw new WeiboRefusal('FILE_NOT_FOUND', `fid ${fid}`)
    const file = mediaFileFor(fid)
    return await reply
      .type(file.contentType)
      .header('content-disposition', `attachment; filename=${file.filename}`)
      .send(file.bytes)
  })
}

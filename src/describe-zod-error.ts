import { z } from 'zod'

/**
 * Every problem of a ZodError on one line, each said once (`must be an http(s) URL → at articles[2].image`), for
 * error details that end up in one log or terminal line. z.prettifyError's text, without its marks and line breaks.
 */
export function describeZodError (error: z.ZodError): string {
  return error.issues
    .map((issue) => issue.path.length === 0 ? issue.message : `${issue.message} → at ${z.core.toDotPath(issue.path)}`)
    .join('; ')
}

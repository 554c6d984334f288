import { z } from 'zod'

/**
 * A zod error as one readable line ("✖ Invalid input → at data.url ✖ …"), for error details and logs, which are
 * one line each. zod's own pretty form has a line per problem; every caller folded it the same way.
 */
export function describeZodError (error: z.ZodError): string {
  return z.prettifyError(error).replace(/\n\s*/g, ' ')
}

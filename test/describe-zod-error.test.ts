import { test } from 'node:test'
import assert from 'node:assert/strict'
import { z } from 'zod'
import { describeZodError } from '../src/describe-zod-error.ts'

test('a zod error with several problems reads as one line naming each problem and its path', () => {
  const result = z.object({ a: z.string(), b: z.object({ c: z.number() }) }).safeParse({ a: 1, b: { c: 'x' } })
  assert.ok(!result.success)
  const line = describeZodError(result.error)
  assert.doesNotMatch(line, /\n/)
  assert.match(line, /expected string.*→ at a/)
  assert.match(line, /expected number.*→ at b\.c/)
})

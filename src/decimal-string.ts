/**
 * A number as a plain decimal string, never in exponent form: Weibo reads coordinates as decimals, and
 * `String(0.0000001)` is "1e-7". Strings pass through unchanged (they were validated as decimals already).
 */
export function decimalString (value: number | string): string {
  if (typeof value === 'string') return value
  const shortest = String(value)
  const exponent = /^-?(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(shortest)
  if (exponent === null) return shortest
  const fractionDigits = (exponent[2] ?? '').length - Number(exponent[3])
  // toFixed takes 0–100 digits; a coordinate never needs more than about 20.
  return value.toFixed(Math.min(100, Math.max(0, fractionDigits)))
}

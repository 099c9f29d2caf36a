import type { TypeName } from './types.js'

/** `value + ""` as JavaScript computes it (arrays join with ","; null gives "null"), or null where JS would throw. */
export function looseString(value: unknown): string | null {
  if (typeof value === 'string') return value
  try {
    return `${value as string}`
  } catch {
    return null
  }
}

/** `value * 1` as JavaScript computes it ("" and null give 0, "12" gives 12), or NaN where JS would throw. */
export function looseNumber(value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value === 'bigint' || typeof value === 'symbol') return NaN
  try {
    return Number(value)
  } catch {
    return NaN
  }
}

// JavaScript's relational operators, including their coercions (null → 0, numeric strings vs numbers).
// Only values without a usable primitive form can make them throw; those compare as false.
export function lessThan(a: unknown, b: unknown): boolean {
  try {
    return (a as number) < (b as number)
  } catch {
    return false
  }
}

export function lessOrEqual(a: unknown, b: unknown): boolean {
  try {
    return (a as number) <= (b as number)
  } catch {
    return false
  }
}

export function greaterThan(a: unknown, b: unknown): boolean {
  return lessThan(b, a)
}

export function greaterOrEqual(a: unknown, b: unknown): boolean {
  return lessOrEqual(b, a)
}

/** The `$type` name of a value; "unknown" for functions, bigints and symbols. */
export function typeName(value: unknown): TypeName | 'unknown' {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  const type = typeof value
  switch (type) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'object':
    case 'undefined':
      return type
    default:
      return 'unknown'
  }
}

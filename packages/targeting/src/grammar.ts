import type { TypeName } from './types.js'

/** Operators that combine whole conditions; they appear where attribute paths do. */
export const LOGICAL_OPERATORS: ReadonlySet<string> = new Set(['$and', '$or', '$nor', '$not'])

/** Operators applied to one attribute value. */
export const VALUE_OPERATORS: ReadonlySet<string> = new Set([
  '$eq',
  '$ne',
  '$lt',
  '$lte',
  '$gt',
  '$gte',
  '$in',
  '$nin',
  '$ini',
  '$nini',
  '$all',
  '$alli',
  '$elemMatch',
  '$size',
  '$exists',
  '$type',
  '$not',
  '$regex',
  '$regexi',
  '$veq',
  '$vne',
  '$vgt',
  '$vgte',
  '$vlt',
  '$vlte',
])

export const TYPE_NAMES: readonly TypeName[] = ['string', 'number', 'boolean', 'array', 'object', 'null', 'undefined']

const DOLLAR = 36

/** True when the key names an operator rather than an attribute. */
export function isOperatorKey(key: string): boolean {
  return key.charCodeAt(0) === DOLLAR
}

/** Any non-null, non-array object (what evaluation treats as a condition or operator object). */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** GrowthBook's test for an operator object: at least one own key, and every own key starts with `$`. */
export function isOperatorObject(value: object): boolean {
  let keys = 0
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (!isOperatorKey(key)) return false
    keys++
  }
  return keys > 0
}

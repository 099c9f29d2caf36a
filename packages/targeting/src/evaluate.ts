import { greaterOrEqual, greaterThan, lessOrEqual, lessThan, looseNumber, looseString, typeName } from './coerce.js'
import { isOperatorObject, isRecord } from './grammar.js'
import { valueAtPath } from './paths.js'
import { cachedRegex } from './regex-cache.js'
import type { ConditionObject } from './types.js'
import { paddedVersion } from './version.js'

/**
 * Whether `attributes` satisfy `conditions`, with the semantics of GrowthBook's JS SDK
 * `evalCondition`. Never throws: anything that would throw, or an operand of the wrong
 * shape, makes that part not match.
 * E.g. `evaluateConditions({ age: { $gte: 18 } }, { age: 21 }) === true`.
 */
export function evaluateConditions(conditions: ConditionObject, attributes: Record<string, unknown>): boolean {
  try {
    return matchesCondition(conditions, attributes)
  } catch {
    // Only reachable with hostile input (e.g. nesting deep enough to overflow the stack).
    return false
  }
}

/** A condition object against a subject: every key must hold (logical operator or attribute path). */
function matchesCondition(condition: unknown, subject: unknown): boolean {
  if (!isRecord(condition)) return false
  for (const key in condition) {
    if (!Object.hasOwn(condition, key)) continue
    const operand = condition[key]
    switch (key) {
      case '$and':
        if (!isConditionList(operand) || !allMatch(operand, subject)) return false
        break
      case '$or':
        if (!isConditionList(operand) || !anyMatches(operand, subject)) return false
        break
      case '$nor':
        if (!isConditionList(operand) || anyMatches(operand, subject)) return false
        break
      case '$not':
        if (!isRecord(operand) || matchesCondition(operand, subject)) return false
        break
      default:
        // Unknown "$..." keys are looked up as attribute paths, as GrowthBook does.
        if (!matchesValue(operand, valueAtPath(subject, key), false)) return false
    }
  }
  return true
}

function isConditionList(operand: unknown): operand is readonly unknown[] {
  if (!Array.isArray(operand)) return false
  for (let i = 0; i < operand.length; i++) if (!isRecord(operand[i])) return false
  return true
}

function allMatch(conditions: readonly unknown[], subject: unknown): boolean {
  for (let i = 0; i < conditions.length; i++) if (!matchesCondition(conditions[i], subject)) return false
  return true
}

// An empty list counts as a match, so `$or: []` passes and `$nor: []` never does (as in GrowthBook).
function anyMatches(conditions: readonly unknown[], subject: unknown): boolean {
  if (conditions.length === 0) return true
  for (let i = 0; i < conditions.length; i++) if (matchesCondition(conditions[i], subject)) return true
  return false
}

/** One attribute value against a plain value, a literal array/object, or an operator object. */
function matchesValue(expected: unknown, actual: unknown, foldCase: boolean): boolean {
  switch (typeof expected) {
    case 'string': {
      const text = looseString(actual)
      if (text === null) return false
      return foldCase ? text.toLowerCase() === expected.toLowerCase() : text === expected
    }
    case 'number':
      return looseNumber(actual) === expected
    case 'boolean':
      return actual !== null && Boolean(actual) === expected
    case 'object':
      if (expected === null) return actual === null
      if (Array.isArray(expected) || !isOperatorObject(expected)) return sameJson(actual, expected)
      for (const operator in expected) {
        if (!Object.hasOwn(expected, operator)) continue
        if (!applyOperator(operator, (expected as Record<string, unknown>)[operator], actual)) return false
      }
      return true
    default:
      return false
  }
}

function sameJson(actual: unknown, expected: unknown): boolean {
  try {
    return JSON.stringify(actual) === JSON.stringify(expected)
  } catch {
    return false
  }
}

function applyOperator(operator: string, operand: unknown, actual: unknown): boolean {
  switch (operator) {
    case '$eq':
      return actual === operand
    case '$ne':
      return actual !== operand
    case '$lt':
      return lessThan(actual, operand)
    case '$lte':
      return lessOrEqual(actual, operand)
    case '$gt':
      return greaterThan(actual, operand)
    case '$gte':
      return greaterOrEqual(actual, operand)
    case '$exists':
      // Loose `==` on purpose: null and undefined both count as absent.
      return operand ? actual != null : actual == null
    case '$in':
      return Array.isArray(operand) && isIn(actual, operand, false)
    case '$nin':
      return Array.isArray(operand) && !isIn(actual, operand, false)
    case '$ini':
      return Array.isArray(operand) && isIn(actual, operand, true)
    case '$nini':
      return Array.isArray(operand) && !isIn(actual, operand, true)
    case '$all':
      return Array.isArray(operand) && containsAll(actual, operand, false)
    case '$alli':
      return Array.isArray(operand) && containsAll(actual, operand, true)
    case '$elemMatch':
      return someElementMatches(actual, operand)
    case '$size':
      return Array.isArray(actual) && matchesValue(operand, actual.length, false)
    case '$not':
      return !matchesValue(operand, actual, false)
    case '$type':
      return typeName(actual) === operand
    case '$regex':
      return regexMatches(operand, actual, false)
    case '$regexi':
      return regexMatches(operand, actual, true)
    case '$veq':
      return paddedVersion(actual) === paddedVersion(operand)
    case '$vne':
      return paddedVersion(actual) !== paddedVersion(operand)
    case '$vgt':
      return paddedVersion(actual) > paddedVersion(operand)
    case '$vgte':
      return paddedVersion(actual) >= paddedVersion(operand)
    case '$vlt':
      return paddedVersion(actual) < paddedVersion(operand)
    case '$vlte':
      return paddedVersion(actual) <= paddedVersion(operand)
    default:
      return false
  }
}

function foldString(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value
}

function listHas(list: readonly unknown[], value: unknown, foldCase: boolean): boolean {
  if (!foldCase) return list.includes(value)
  const needle = foldString(value)
  for (let i = 0; i < list.length; i++) if (foldString(list[i]) === needle) return true
  return false
}

/** Membership; an array attribute matches when any element is in the list (intersection). */
function isIn(actual: unknown, list: readonly unknown[], foldCase: boolean): boolean {
  if (!Array.isArray(actual)) return listHas(list, actual, foldCase)
  for (let i = 0; i < actual.length; i++) if (listHas(list, actual[i], foldCase)) return true
  return false
}

/** Every expected entry (a value or a condition) matches at least one element of the array attribute. */
function containsAll(actual: unknown, expected: readonly unknown[], foldCase: boolean): boolean {
  if (!Array.isArray(actual)) return false
  for (let i = 0; i < expected.length; i++) {
    let found = false
    for (let j = 0; j < actual.length && !found; j++) found = matchesValue(expected[i], actual[j], foldCase)
    if (!found) return false
  }
  return true
}

/** Some element matches: operators apply to the element itself, a plain condition to its fields. */
function someElementMatches(actual: unknown, operand: unknown): boolean {
  if (!Array.isArray(actual) || !isRecord(operand)) return false
  const onElement = isOperatorObject(operand)
  for (let i = 0; i < actual.length; i++) {
    const element: unknown = actual[i]
    // GrowthBook skips falsy elements (0, "", false, null), so they never match.
    if (!element) continue
    if (onElement ? matchesValue(operand, element, false) : matchesCondition(operand, element)) return true
  }
  return false
}

function regexMatches(pattern: unknown, actual: unknown, ignoreCase: boolean): boolean {
  if (typeof pattern !== 'string') return false
  const regex = cachedRegex(pattern, ignoreCase)
  if (regex === null) return false
  try {
    // `test` stringifies non-strings (null → "null"), as in GrowthBook.
    return regex.test(actual as string)
  } catch {
    return false
  }
}

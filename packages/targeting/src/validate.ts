import { LOGICAL_OPERATORS, TYPE_NAMES, VALUE_OPERATORS, isOperatorKey } from './grammar.js'
import { jsonSize } from './json-size.js'
import { MAX_CONDITION_BYTES, MAX_CONDITION_DEPTH } from './limits.js'
import { pointer } from './pointer.js'
import { regexProblem } from './regex-check.js'
import type { ConditionIssue } from './types.js'

type Issues = ConditionIssue[]

/**
 * Problems that keep `conditions` from being a valid targeting condition, each with a JSON
 * pointer relative to the conditions object; an empty array means valid.
 * E.g. `validateConditions({ age: { $gt: [1] } })` →
 * `[{ path: '/age/$gt', message: '"$gt" needs a number or a string to compare with' }]`.
 */
export function validateConditions(conditions: unknown): ConditionIssue[] {
  const issues: Issues = []
  if (!isPlainObject(conditions)) {
    issues.push({ path: '', message: 'conditions must be a JSON object, e.g. {"country": "US"}' })
    return issues
  }
  const bytes = jsonSize(conditions)
  if (bytes !== null && bytes > MAX_CONDITION_BYTES) {
    issues.push({ path: '', message: `conditions take ${bytes} bytes as JSON; the limit is ${MAX_CONDITION_BYTES}` })
    return issues
  }
  checkCondition(conditions, '', 1, issues)
  return issues
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function isJsonPrimitive(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || isFiniteNumber(value)
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function describe(operator: string): string {
  return `"${operator}"`
}

/** False (with an issue) when a container at `depth` is nested too deeply to inspect. */
function withinDepth(path: string, depth: number, issues: Issues): boolean {
  if (depth <= MAX_CONDITION_DEPTH) return true
  issues.push({ path, message: `nested deeper than ${MAX_CONDITION_DEPTH} levels (every object or array counts as one)` })
  return false
}

/** A condition object at `depth`: keys are attribute paths or logical operators. */
function checkCondition(condition: Record<string, unknown>, path: string, depth: number, issues: Issues): void {
  for (const key of Object.keys(condition)) {
    const value = condition[key]
    const here = pointer(path, key)
    if (key === '$and' || key === '$or' || key === '$nor') checkConditionList(key, value, here, depth + 1, issues)
    else if (key === '$not') {
      if (!isPlainObject(value)) issues.push({ path: here, message: '"$not" needs a condition object, e.g. {"country": "US"}' })
      else if (withinDepth(here, depth + 1, issues)) checkCondition(value, here, depth + 1, issues)
    } else if (isOperatorKey(key)) {
      issues.push({ path: here, message: unknownOperator(key, 'condition') })
    } else {
      const pathProblem = attributePathProblem(key)
      if (pathProblem) issues.push({ path: here, message: pathProblem })
      checkValueCondition(value, here, depth + 1, issues)
    }
  }
}

function checkConditionList(operator: string, value: unknown, path: string, depth: number, issues: Issues): void {
  if (!Array.isArray(value)) {
    issues.push({ path, message: `${describe(operator)} needs an array of conditions, e.g. [{"country": "US"}, {"age": {"$gt": 18}}]` })
    return
  }
  if (!withinDepth(path, depth, issues)) return
  if (operator === '$nor' && value.length === 0) {
    issues.push({ path, message: '"$nor" with an empty list never matches anyone; remove it or add conditions' })
  }
  value.forEach((entry, index) => {
    const here = pointer(path, index)
    if (!isPlainObject(entry)) issues.push({ path: here, message: `each ${describe(operator)} entry must be a condition object` })
    else if (withinDepth(here, depth + 1, issues)) checkCondition(entry, here, depth + 1, issues)
  })
}

function attributePathProblem(key: string): string | null {
  if (key === '') return 'attribute path is empty'
  if (key.split('.').includes('')) return `attribute path "${key}" has an empty segment; use dots only between names, e.g. "address.city"`
  return null
}

function unknownOperator(operator: string, position: 'condition' | 'value'): string {
  if (operator === '$inGroup' || operator === '$notInGroup') {
    return `unknown operator ${describe(operator)}: saved groups are not supported; list the values with "$in" instead`
  }
  if (position === 'value' && LOGICAL_OPERATORS.has(operator)) {
    return `${describe(operator)} combines whole conditions and cannot be applied to one attribute; put it at condition level, e.g. {"${operator}": [{"a": 1}, {"b": 2}]}`
  }
  if (position === 'condition' && VALUE_OPERATORS.has(operator)) {
    return `${describe(operator)} applies to an attribute, e.g. {"age": {"${operator}": ...}}, not to the whole condition`
  }
  return `unknown operator ${describe(operator)}`
}

/** What an attribute path (or `$not`, `$all` entry, `$size`) is compared with: a value, a literal, or operators. */
function checkValueCondition(value: unknown, path: string, depth: number, issues: Issues): void {
  if (!isPlainObject(value)) {
    checkJson(value, path, depth, issues)
    return
  }
  const keys = Object.keys(value)
  const operators = keys.filter(isOperatorKey)
  if (operators.length === 0) {
    checkJson(value, path, depth, issues)
    return
  }
  if (operators.length < keys.length) {
    const plain = keys.find((key) => !isOperatorKey(key)) ?? ''
    issues.push({
      path,
      message: `mixes operators ("${operators[0]}") with plain keys ("${plain}"); such an object is compared literally, not as operators, so use only operators`,
    })
    return
  }
  if (withinDepth(path, depth, issues)) checkOperators(value, path, depth, issues)
}

function checkOperators(operators: Record<string, unknown>, path: string, depth: number, issues: Issues): void {
  for (const operator of Object.keys(operators)) {
    checkOperator(operator, operators[operator], pointer(path, operator), depth + 1, issues)
  }
}

/** Any JSON value (used for literals, compared as whole JSON). */
function checkJson(value: unknown, path: string, depth: number, issues: Issues): void {
  if (isJsonPrimitive(value)) return
  if (Array.isArray(value)) {
    if (withinDepth(path, depth, issues)) value.forEach((item, index) => checkJson(item, pointer(path, index), depth + 1, issues))
    return
  }
  if (isPlainObject(value)) {
    if (withinDepth(path, depth, issues)) {
      for (const key of Object.keys(value)) checkJson(value[key], pointer(path, key), depth + 1, issues)
    }
    return
  }
  const what = typeof value === 'number' ? String(value) : typeof value
  issues.push({ path, message: `is not a JSON value (${what})` })
}

function checkOperator(operator: string, operand: unknown, path: string, depth: number, issues: Issues): void {
  const problem = (message: string) => issues.push({ path, message })
  switch (operator) {
    case '$eq':
    case '$ne':
      if (!isJsonPrimitive(operand)) {
        problem(`${describe(operator)} needs a string, number, boolean or null; it compares with ===, so arrays and objects never match`)
      }
      return
    case '$lt':
    case '$lte':
    case '$gt':
    case '$gte':
      if (typeof operand !== 'string' && !isFiniteNumber(operand)) problem(`${describe(operator)} needs a number or a string to compare with`)
      return
    case '$veq':
    case '$vne':
    case '$vgt':
    case '$vgte':
    case '$vlt':
    case '$vlte':
      if (!(typeof operand === 'string' && operand !== '') && !isFiniteNumber(operand)) {
        problem(`${describe(operator)} needs a version string such as "1.2.3"`)
      }
      return
    case '$in':
    case '$nin':
    case '$ini':
    case '$nini':
      checkValueList(operator, operand, path, depth, issues)
      return
    case '$all':
    case '$alli':
      if (!Array.isArray(operand)) problem(`${describe(operator)} needs an array of values the attribute array must all contain, e.g. ["a", "b"]`)
      else if (withinDepth(path, depth, issues)) {
        operand.forEach((entry, index) => checkValueCondition(entry, pointer(path, index), depth + 1, issues))
      }
      return
    case '$elemMatch':
      checkElemMatch(operand, path, depth, issues)
      return
    case '$size':
      if (isFiniteNumber(operand)) {
        if (!Number.isInteger(operand) || operand < 0) problem('"$size" needs a whole number of at least 0')
      } else if (isPlainObject(operand) && Object.keys(operand).length > 0 && Object.keys(operand).every(isOperatorKey)) {
        if (withinDepth(path, depth, issues)) checkOperators(operand, path, depth, issues)
      } else problem('"$size" needs a whole number or an operator condition such as {"$gt": 2}')
      return
    case '$exists':
      // GrowthBook tests truthiness; 0 and 1 are accepted because some clients send them for booleans.
      if (typeof operand !== 'boolean' && operand !== 0 && operand !== 1) problem('"$exists" needs true or false')
      return
    case '$type':
      if (typeof operand !== 'string' || !(TYPE_NAMES as readonly string[]).includes(operand)) {
        problem(`"$type" must be one of ${TYPE_NAMES.join(', ')}`)
      }
      return
    case '$regex':
    case '$regexi': {
      if (typeof operand !== 'string') {
        problem(`${describe(operator)} needs the pattern as a string`)
        return
      }
      const reason = regexProblem(operand, operator === '$regexi')
      if (reason) problem(`${describe(operator)} ${reason}`)
      return
    }
    case '$not':
      checkValueCondition(operand, path, depth, issues)
      return
    default:
      problem(unknownOperator(operator, 'value'))
  }
}

function checkValueList(operator: string, operand: unknown, path: string, depth: number, issues: Issues): void {
  if (!Array.isArray(operand)) {
    issues.push({ path, message: `${describe(operator)} needs an array of values, e.g. ["US", "CA"]` })
    return
  }
  if (!withinDepth(path, depth, issues)) return
  operand.forEach((entry, index) => {
    if (!isJsonPrimitive(entry)) {
      issues.push({
        path: pointer(path, index),
        message: `${describe(operator)} values must be strings, numbers, booleans or null; arrays and objects never match`,
      })
    }
  })
}

function checkElemMatch(operand: unknown, path: string, depth: number, issues: Issues): void {
  if (!isPlainObject(operand)) {
    issues.push({
      path,
      message: '"$elemMatch" needs an object: operators for each element, e.g. {"$gt": 10}, or a condition on element fields, e.g. {"name": "x"}',
    })
    return
  }
  if (!withinDepth(path, depth, issues)) return
  const keys = Object.keys(operand)
  // Same rule as evaluation: all-"$" keys mean operators on the element, anything else is a condition.
  if (keys.length > 0 && keys.every(isOperatorKey)) checkOperators(operand, path, depth, issues)
  else checkCondition(operand, path, depth, issues)
}

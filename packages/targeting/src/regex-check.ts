import { MAX_REGEX_LENGTH } from './limits.js'

/** Length of an unbounded quantifier (`*`, `+`, `{n,}`) starting at `i`, or 0. */
function unboundedQuantifierAt(source: string, i: number): number {
  const c = source[i]
  if (c === '*' || c === '+') return 1
  if (c !== '{') return 0
  const match = /^\{\d+,\}/.exec(source.slice(i, i + 12))
  return match ? match[0].length : 0
}

/**
 * True when a group that contains an unbounded quantifier is itself repeated without bound,
 * as in `(a+)+` or `(\w*x)*`: the classic shape of catastrophic backtracking.
 * A heuristic ("star height" above 1): it can reject a few safe patterns such as `(\d+\.)+`.
 */
export function hasNestedUnboundedQuantifier(source: string): boolean {
  const groups: boolean[] = [] // per open group: does it contain an unbounded quantifier?
  let inClass = false
  let closedGroupRepeats = false // the group that just closed contained an unbounded quantifier
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c === '\\') {
      i++
      closedGroupRepeats = false
      continue
    }
    if (inClass) {
      if (c === ']') inClass = false
      continue
    }
    const quantifier = unboundedQuantifierAt(source, i)
    if (quantifier > 0) {
      if (closedGroupRepeats) return true
      if (groups.length > 0) groups[groups.length - 1] = true
      i += quantifier - 1
      continue
    }
    closedGroupRepeats = false
    if (c === '[') inClass = true
    else if (c === '(') groups.push(false)
    else if (c === ')') {
      const inner = groups.pop() ?? false
      closedGroupRepeats = inner
      if (inner && groups.length > 0) groups[groups.length - 1] = true
    }
  }
  return false
}

/** What is wrong with a `$regex`/`$regexi` pattern, in plain words, or null when it is usable. */
export function regexProblem(pattern: string, ignoreCase: boolean): string | null {
  if (pattern.length > MAX_REGEX_LENGTH) {
    return `pattern is ${pattern.length} characters long; the limit is ${MAX_REGEX_LENGTH}`
  }
  try {
    new RegExp(pattern, ignoreCase ? 'i' : '')
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return `is not a valid regular expression (${reason})`
  }
  if (hasNestedUnboundedQuantifier(pattern)) {
    return 'repeats a group that already contains a repeat, like (a+)+; such patterns can take exponential time on some inputs, so write it without the nested repeat'
  }
  return null
}

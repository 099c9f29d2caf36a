import type { ErrorDetail } from '@experiments/contracts'
import { itemIndex } from './errors.js'

const NUL = '\u0000'
/** An unpaired UTF-16 surrogate: not Unicode, so UTF-8 (Redis, PostgreSQL) turns it into U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Whether a JSON text may hold either: JSON carries U+0000 only as the escape \u0000, and a lone
 * surrogate only as a \uD800–\uDFFF escape (real characters arrive as UTF-8), so only bodies whose
 * text holds such an escape are walked. A quick `includes` first: SDKs' JSON rarely escapes at all.
 */
export const mayHoldUnstorableText = (json: string) => json.includes('\\u') && /\\u(?:0000|[dD][89a-fA-F])/.test(json)

const problemOf = (text: string) =>
  text.includes(NUL)
    ? 'must not contain the NUL character (\\u0000)'
    : LONE_SURROGATE.test(text)
      ? 'must be valid Unicode: it holds an unpaired surrogate (\\ud800–\\udfff)'
      : undefined

/**
 * Where strings or keys in a parsed request part hold text that cannot be stored as sent: U+0000,
 * which PostgreSQL text and jsonb refuse (a 500), or an unpaired surrogate, which every store
 * turns into U+FFFD (distinct ids would collide, jsonb refuses it). Refused as bad input instead.
 * Iterative, so a deeply nested body cannot overflow the stack.
 */
export const unstorableTextDetails = (value: unknown, part: 'params' | 'querystring' | 'body'): ErrorDetail[] => {
  const details: ErrorDetail[] = []
  const pending: [unknown, string][] = [[value, '']]
  const report = (path: string, problem: string) =>
    details.push({ path: path || '/', message: `${path.slice(1) || part} ${problem}`, in: part, ...itemIndex(path) })
  while (pending.length) {
    const [current, path] = pending.pop()!
    if (typeof current === 'string') {
      const problem = problemOf(current)
      if (problem) report(path, problem)
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
        const problem = problemOf(key)
        if (problem) report(childPath, problem)
        else pending.push([child, childPath])
      }
    }
  }
  return details
}

/** Whether `text` can be stored as sent (no U+0000, no unpaired surrogate). */
export const isStorableText = (text: string) => problemOf(text) === undefined

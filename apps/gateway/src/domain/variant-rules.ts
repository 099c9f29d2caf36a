import type { ErrorDetail } from '@experiments/contracts'
import { MAX_JSON_OBJECT_BYTES, MAX_JSON_OBJECT_DEPTH } from '@experiments/schemas'

type VariantInput = { id?: string; name: string; splitPercentage: number; config?: Record<string, unknown> }

/** A split percentage in hundredths of a percent, or null when it has more than two decimals. */
export const toBasisPoints = (percentage: number): number | null => {
  const scaled = percentage * 100
  const rounded = Math.round(scaled)
  return Math.abs(scaled - rounded) < 1e-6 ? rounded : null
}

export const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8')

/**
 * Whether `value` nests objects and arrays deeper than `max` levels. Iterative: JSON.stringify
 * (jsonBytes) overflows the stack at a few thousand levels, which fit in 16 KiB.
 */
const nestedDeeperThan = (value: unknown, max: number): boolean => {
  const pending: [unknown, number][] = [[value, 1]]
  while (pending.length) {
    const [current, depth] = pending.pop()!
    if (current === null || typeof current !== 'object') continue
    if (depth > max) return true
    for (const child of Object.values(current)) pending.push([child, depth + 1])
  }
  return false
}

/**
 * The rules on a variant list that JSON Schema cannot express: unique names, splits with at most
 * two decimals summing to exactly 100, configs of at most 16 KiB nested at most 32 deep, and (in a
 * PATCH) ids that name variants of this experiment.
 */
export const variantProblems = (variants: VariantInput[], knownIds: ReadonlySet<string> = new Set()): ErrorDetail[] => {
  const problems: ErrorDetail[] = []
  const names = new Set<string>()
  const ids = new Set<string>()
  let total = 0
  variants.forEach((variant, index) => {
    const at = `/variants/${index}`
    if (names.has(variant.name)) problems.push({ path: `${at}/name`, message: `variant name "${variant.name}" is used twice` })
    names.add(variant.name)
    const basisPoints = toBasisPoints(variant.splitPercentage)
    if (basisPoints === null) {
      problems.push({ path: `${at}/splitPercentage`, message: 'splitPercentage may have at most two decimals' })
    } else {
      total += basisPoints
    }
    if (variant.config !== undefined && nestedDeeperThan(variant.config, MAX_JSON_OBJECT_DEPTH)) {
      problems.push({ path: `${at}/config`, message: `config nests objects and arrays deeper than ${MAX_JSON_OBJECT_DEPTH} levels` })
    } else if (variant.config !== undefined && jsonBytes(variant.config) > MAX_JSON_OBJECT_BYTES) {
      problems.push({ path: `${at}/config`, message: `config is larger than ${MAX_JSON_OBJECT_BYTES} bytes of JSON` })
    }
    if (variant.id !== undefined) {
      if (!knownIds.has(variant.id)) problems.push({ path: `${at}/id`, message: `${variant.id} is not a variant of this experiment` })
      else if (ids.has(variant.id)) problems.push({ path: `${at}/id`, message: `variant ${variant.id} is listed twice` })
      ids.add(variant.id)
    }
  })
  if (problems.every((p) => !p.path.endsWith('/splitPercentage')) && total !== 10_000) {
    problems.push({ path: '/variants', message: `splitPercentage values must sum to 100; they sum to ${total / 100}` })
  }
  return problems
}

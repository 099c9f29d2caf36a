import { StatsInputError, type StatsInputIssue } from './errors.js'
import type { AnalyzeInput, VariantInput } from './types.js'

export const DEFAULT_CONFIDENCE_LEVEL = 0.95
export const MIN_CONFIDENCE_LEVEL = 0.8
export const MAX_CONFIDENCE_LEVEL = 0.999

/** Input after validation: control located, confidence level resolved. */
export interface ValidatedInput {
  variants: readonly VariantInput[]
  controlIndex: number
  confidenceLevel: number
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function checkVariant(value: unknown, path: string, issues: StatsInputIssue[]): void {
  if (!isRecord(value)) {
    issues.push({ path, message: 'must be an object' })
    return
  }
  if (typeof value.variantId !== 'string' || value.variantId === '') {
    issues.push({ path: `${path}/variantId`, message: 'must be a non-empty string' })
  }
  if (typeof value.variantName !== 'string') {
    issues.push({ path: `${path}/variantName`, message: 'must be a string' })
  }
  const { sampleSize, conversions, splitPercentage } = value
  if (!isCount(sampleSize)) {
    issues.push({ path: `${path}/sampleSize`, message: 'must be a non-negative integer' })
  }
  if (!isCount(conversions)) {
    issues.push({ path: `${path}/conversions`, message: 'must be a non-negative integer' })
  } else if (isCount(sampleSize) && conversions > sampleSize) {
    issues.push({ path: `${path}/conversions`, message: `must not exceed sampleSize (${conversions} > ${sampleSize})` })
  }
  if (typeof splitPercentage !== 'number' || !Number.isFinite(splitPercentage) || splitPercentage < 0) {
    issues.push({ path: `${path}/splitPercentage`, message: 'must be a finite number ≥ 0' })
  }
}

/** Checks the input and returns it with the control index and confidence level resolved; throws StatsInputError. */
export function validateInput(input: AnalyzeInput): ValidatedInput {
  const issues: StatsInputIssue[] = []
  const raw: unknown = input
  if (!isRecord(raw)) throw new StatsInputError([{ path: '', message: 'must be an object' }])

  const variants = raw.variants
  if (!Array.isArray(variants)) {
    issues.push({ path: '/variants', message: 'must be an array' })
  } else {
    if (variants.length < 2) issues.push({ path: '/variants', message: `needs at least 2 variants, got ${variants.length}` })
    variants.forEach((variant, index) => checkVariant(variant, `/variants/${index}`, issues))
  }

  const confidence = raw.confidenceLevel ?? DEFAULT_CONFIDENCE_LEVEL
  if (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < MIN_CONFIDENCE_LEVEL || confidence > MAX_CONFIDENCE_LEVEL) {
    issues.push({
      path: '/confidenceLevel',
      message: `must be a number between ${MIN_CONFIDENCE_LEVEL} and ${MAX_CONFIDENCE_LEVEL}`,
    })
  }

  const controlId = raw.controlVariantId ?? null
  if (controlId !== null && typeof controlId !== 'string') {
    issues.push({ path: '/controlVariantId', message: 'must be a string' })
  }
  if (issues.length > 0) throw new StatsInputError(issues)

  const checked = variants as VariantInput[]
  const seen = new Map<string, number>()
  checked.forEach((variant, index) => {
    const first = seen.get(variant.variantId)
    if (first !== undefined) {
      issues.push({
        path: `/variants/${index}/variantId`,
        message: `duplicates /variants/${first}/variantId (${JSON.stringify(variant.variantId)})`,
      })
    } else {
      seen.set(variant.variantId, index)
    }
  })
  if (checked.reduce((sum, variant) => sum + variant.splitPercentage, 0) <= 0) {
    issues.push({ path: '/variants', message: 'splitPercentage values must not all be 0' })
  }
  const controlIndex = controlId === null ? 0 : (seen.get(controlId as string) ?? -1)
  if (controlIndex === -1) {
    issues.push({ path: '/controlVariantId', message: `unknown variant ${JSON.stringify(controlId)}` })
  }
  if (issues.length > 0) throw new StatsInputError(issues)

  return { variants: checked, controlIndex, confidenceLevel: confidence as number }
}

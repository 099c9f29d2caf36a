import { describe, expect, it } from 'vitest'
import { analyzeExperiment, StatsInputError, type AnalyzeInput } from '../src/index.js'

const ok = () => ({
  variants: [
    { variantId: 'c', variantName: 'Control', sampleSize: 100, conversions: 10, splitPercentage: 50 },
    { variantId: 't', variantName: 'Treatment', sampleSize: 100, conversions: 12, splitPercentage: 50 },
  ],
})

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    analyzeExperiment(input as AnalyzeInput)
  } catch (error) {
    expect(error).toBeInstanceOf(StatsInputError)
    const typed = error as StatsInputError
    expect(typed.code).toBe('INVALID_STATS_INPUT')
    expect(typed.name).toBe('StatsInputError')
    expect(typed.message).toContain(typed.details[0]!.path)
    return typed.details
  }
  throw new Error('expected analyzeExperiment to throw')
}

function withVariant(index: number, patch: Record<string, unknown>) {
  const input = ok()
  Object.assign(input.variants[index]!, patch)
  return input
}

describe('input validation', () => {
  it.each([
    ['negative sampleSize', withVariant(1, { sampleSize: -1 }), '/variants/1/sampleSize'],
    ['non-integer sampleSize', withVariant(0, { sampleSize: 10.5 }), '/variants/0/sampleSize'],
    ['negative conversions', withVariant(1, { conversions: -2 }), '/variants/1/conversions'],
    ['non-integer conversions', withVariant(1, { conversions: 1.5 }), '/variants/1/conversions'],
    ['string conversions', withVariant(1, { conversions: '3' }), '/variants/1/conversions'],
    ['conversions above sampleSize', withVariant(1, { conversions: 101 }), '/variants/1/conversions'],
    ['NaN sampleSize', withVariant(0, { sampleSize: Number.NaN }), '/variants/0/sampleSize'],
    ['negative split', withVariant(0, { splitPercentage: -5 }), '/variants/0/splitPercentage'],
    ['missing variantId', withVariant(0, { variantId: '' }), '/variants/0/variantId'],
    ['duplicate variantId', withVariant(1, { variantId: 'c' }), '/variants/1/variantId'],
    ['unknown control', { ...ok(), controlVariantId: 'nope' }, '/controlVariantId'],
    ['confidence below range', { ...ok(), confidenceLevel: 0.5 }, '/confidenceLevel'],
    ['confidence above range', { ...ok(), confidenceLevel: 0.9999 }, '/confidenceLevel'],
    ['confidence not a number', { ...ok(), confidenceLevel: '0.95' }, '/confidenceLevel'],
    ['fewer than 2 variants', { variants: ok().variants.slice(0, 1) }, '/variants'],
    ['variants not an array', { variants: {} }, '/variants'],
    ['all splits zero', { variants: ok().variants.map((v) => ({ ...v, splitPercentage: 0 })) }, '/variants'],
    ['input not an object', null, ''],
  ])('%s → %s', (_label, input, path) => {
    expect(issuesOf(input).map((d) => d.path)).toContain(path)
  })

  it('names the problem in the message', () => {
    const [issue] = issuesOf(withVariant(1, { conversions: 101 }))
    expect(issue!.message).toMatch(/exceed sampleSize/)
  })

  it('reports every problem at once', () => {
    const input = withVariant(1, { sampleSize: -1, conversions: 0.5 })
    const paths = issuesOf({ ...input, confidenceLevel: 2 }).map((d) => d.path)
    expect(paths).toEqual(expect.arrayContaining(['/variants/1/sampleSize', '/variants/1/conversions', '/confidenceLevel']))
  })

  it('accepts the bounds of the confidence range and a null control id', () => {
    expect(analyzeExperiment({ ...ok(), confidenceLevel: 0.8 }).confidenceLevel).toBe(0.8)
    expect(analyzeExperiment({ ...ok(), confidenceLevel: 0.999 }).confidenceLevel).toBe(0.999)
    expect(analyzeExperiment({ ...ok(), controlVariantId: null }).controlVariantId).toBe('c')
  })
})

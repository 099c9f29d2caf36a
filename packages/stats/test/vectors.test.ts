// Golden vectors: test/vectors.json holds inputs and the expected analyzeExperiment output computed
// independently at 50 digits (test/reference/generate_vectors.py, mpmath). Published anchors among them:
// the seed example from the issue, and Newcombe (1998b) Table II rows (a) and (d) as experiments.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { analyzeExperiment, type AnalyzeInput } from '../src/index.js'

interface VectorCase {
  name: string
  input: AnalyzeInput
  expected: unknown
}

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as { cases: VectorCase[] }

/** Allowed |actual − expected| for a field: relative for p-values (they can be tiny), absolute otherwise. */
function tolerance(field: string, expected: number): number {
  if (field === 'probabilityToBeatControl') return 1e-11
  if (field === 'pValue' || field === 'adjustedPValue') return Math.max(1e-12 * expected, 1e-16)
  return 1e-13 * Math.max(1, Math.abs(expected))
}

function compare(path: string, field: string, actual: unknown, expected: unknown): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number')
    expect(Math.abs((actual as number) - expected), path).toBeLessThanOrEqual(tolerance(field, expected))
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true)
    expect((actual as unknown[]).length, path).toBe(expected.length)
    expected.forEach((item, i) => compare(`${path}/${i}`, field, (actual as unknown[])[i], item))
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort())
    for (const [key, value] of Object.entries(expected)) {
      compare(`${path}/${key}`, key, (actual as Record<string, unknown>)[key], value)
    }
  } else {
    expect(actual, path).toBe(expected)
  }
}

describe('golden vectors (test/vectors.json)', () => {
  it('has cases', () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(8)
  })
  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, vector) => {
    const result = analyzeExperiment(vector.input)
    compare('', '', JSON.parse(JSON.stringify(result)), vector.expected)
  })
})

// Replays GrowthBook's published evalCondition / versionCompare cases (see _source in the JSON file).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { evaluateConditions, type ConditionObject } from '../src/index.js'
import { paddedVersion } from '../src/version.js'

type Case = [name: string, condition: ConditionObject, attributes: Record<string, unknown>, expected: boolean]
type VersionCase = [left: string, right: string, expected: boolean]
type Suite = {
  evalCondition: Case[]
  evalConditionSpec071: Case[]
  versionCompare: { lt: VersionCase[]; gt: VersionCase[]; eq: VersionCase[] }
}

const suite = JSON.parse(readFileSync(new URL('./growthbook-conformance.json', import.meta.url), 'utf8')) as Suite

// Names repeat in the source (e.g. "$not - pass"), so each title gets its index.
const numbered = (cases: Case[]): Case[] => cases.map(([name, condition, attributes, expected], i) => [`#${i} ${name}`, condition, attributes, expected])

describe('GrowthBook evalCondition cases (spec 0.5.4)', () => {
  it.each(numbered(suite.evalCondition))('%s', (_name, condition, attributes, expected) => {
    expect(evaluateConditions(condition, attributes)).toBe(expected)
  })
})

describe('GrowthBook evalCondition cases added in spec 0.7.1', () => {
  it.each(numbered(suite.evalConditionSpec071))('%s', (_name, condition, attributes, expected) => {
    expect(evaluateConditions(condition, attributes)).toBe(expected)
  })
})

describe('GrowthBook versionCompare cases', () => {
  const { lt, gt, eq } = suite.versionCompare
  it.each(lt)('%s < %s is %s', (a, b, expected) => {
    expect(paddedVersion(a) < paddedVersion(b)).toBe(expected)
    expect(evaluateConditions({ v: { $vlt: b } }, { v: a })).toBe(expected)
  })
  it.each(gt)('%s > %s is %s', (a, b, expected) => {
    expect(paddedVersion(a) > paddedVersion(b)).toBe(expected)
    expect(evaluateConditions({ v: { $vgt: b } }, { v: a })).toBe(expected)
  })
  it.each(eq)('%s == %s is %s', (a, b, expected) => {
    expect(paddedVersion(a) === paddedVersion(b)).toBe(expected)
    expect(evaluateConditions({ v: { $veq: b } }, { v: a })).toBe(expected)
  })
})

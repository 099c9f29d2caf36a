import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { evaluateConditions, validateConditions, type ConditionObject, type JsonValue } from '../src/index.js'
import { paddedVersion } from '../src/version.js'

const scalar = fc.oneof(fc.constantFrom('a', 'B', 'US', '1', '', 'null'), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constant(null))
const version = fc
  .tuple(fc.nat(12), fc.nat(12), fc.nat(12), fc.constantFrom('', '-alpha', '-beta.2', '+build'))
  .map(([a, b, c, suffix]) => `${a}.${b}.${c}${suffix}`)

const attributeValue = fc.oneof(
  scalar,
  version,
  fc.array(scalar, { maxLength: 3 }),
  fc.record({ d: scalar }),
  fc.array(fc.record({ d: scalar }), { maxLength: 2 }),
)
const attributes = fc.record(
  { a: attributeValue, b: attributeValue, c: fc.record({ d: attributeValue }), tags: fc.array(scalar, { maxLength: 4 }) },
  { requiredKeys: [] },
)

const operatorCondition: fc.Arbitrary<JsonValue> = fc.oneof(
  scalar,
  scalar.map(($eq) => ({ $eq })),
  scalar.map(($ne) => ({ $ne })),
  fc.tuple(fc.constantFrom('$gt', '$gte', '$lt', '$lte'), fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'm'))).map(([op, v]) => ({ [op]: v })),
  fc.tuple(fc.constantFrom('$in', '$nin', '$ini', '$nini', '$all', '$alli'), fc.array(scalar, { maxLength: 3 })).map(([op, v]) => ({ [op]: v })),
  fc.nat(3).map(($size) => ({ $size })),
  fc.boolean().map(($exists) => ({ $exists })),
  fc.constantFrom('string', 'number', 'boolean', 'array', 'object', 'null', 'undefined').map(($type) => ({ $type })),
  fc.tuple(fc.constantFrom('$regex', '$regexi'), fc.constantFrom('^a', 'b$', 'U.', '\\d', '(x|y)+')).map(([op, v]) => ({ [op]: v })),
  fc.tuple(fc.constantFrom('$veq', '$vne', '$vgt', '$vgte', '$vlt', '$vlte'), version).map(([op, v]) => ({ [op]: v })),
  fc.integer({ min: -3, max: 3 }).map((n) => ({ $elemMatch: { $gt: n } })),
  scalar.map((d) => ({ $elemMatch: { d } })),
  scalar.map((v) => ({ $not: { $eq: v } })),
)

const { condition } = fc.letrec<{ condition: ConditionObject }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', maxDepth: 2 },
    fc.dictionary(fc.constantFrom('a', 'b', 'c.d', 'tags', 'tags.0'), operatorCondition, { minKeys: 1, maxKeys: 2 }),
    fc.array(tie('condition'), { maxLength: 3 }).map(($and) => ({ $and })),
    fc.array(tie('condition'), { maxLength: 3 }).map(($or) => ({ $or })),
    fc.array(tie('condition'), { minLength: 1, maxLength: 3 }).map(($nor) => ({ $nor })),
    tie('condition').map(($not) => ({ $not })),
  ),
}))

describe('generated valid conditions', () => {
  it('are accepted by validateConditions', () => {
    fc.assert(
      fc.property(condition, (c) => {
        expect(validateConditions(c)).toEqual([])
      }),
    )
  })

  it('$not negates', () => {
    fc.assert(fc.property(condition, attributes, (c, a) => evaluateConditions({ $not: c }, a) === !evaluateConditions(c, a)))
  })

  it('$and is conjunction and $nor is the negation of $or', () => {
    fc.assert(
      fc.property(condition, condition, attributes, (c1, c2, a) => {
        const one = evaluateConditions(c1, a)
        const two = evaluateConditions(c2, a)
        expect(evaluateConditions({ $and: [c1, c2] }, a)).toBe(one && two)
        expect(evaluateConditions({ $or: [c1, c2] }, a)).toBe(one || two)
        expect(evaluateConditions({ $nor: [c1, c2] }, a)).toBe(!(one || two))
      }),
    )
  })

  it('$nin is the complement of $in, and $nini of $ini', () => {
    fc.assert(
      fc.property(fc.array(scalar, { maxLength: 4 }), attributeValue, (list, value) => {
        const a = { x: value }
        expect(evaluateConditions({ x: { $nin: list } }, a)).toBe(!evaluateConditions({ x: { $in: list } }, a))
        expect(evaluateConditions({ x: { $nini: list } }, a)).toBe(!evaluateConditions({ x: { $ini: list } }, a))
      }),
    )
  })
})

describe('total functions', () => {
  it('evaluateConditions never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (c, a) => {
        expect(typeof evaluateConditions(c as ConditionObject, a as Record<string, unknown>)).toBe('boolean')
      }),
    )
  })

  it('validateConditions never throws and always gives pointer paths', () => {
    fc.assert(
      fc.property(fc.anything(), (c) => {
        for (const issue of validateConditions(c)) {
          expect(issue.path === '' || issue.path.startsWith('/')).toBe(true)
          expect(issue.message.length).toBeGreaterThan(0)
        }
      }),
    )
  })

  it('whatever passes validation also evaluates without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), attributes, (c, a) => {
        if (validateConditions(c).length === 0) expect(typeof evaluateConditions(c as ConditionObject, a)).toBe('boolean')
      }),
    )
  })
})

describe('version ordering', () => {
  const release = fc.tuple(fc.nat(99_999), fc.nat(99_999), fc.nat(99_999))
  const numericOrder = (x: number[], y: number[]) => {
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.sign(x[i]! - y[i]!)
    return 0
  }

  it('orders plain x.y.z releases numerically', () => {
    fc.assert(
      fc.property(release, release, (x, y) => {
        const left = paddedVersion(x.join('.'))
        const right = paddedVersion(y.join('.'))
        const expected = numericOrder(x, y)
        expect(left < right ? -1 : left > right ? 1 : 0).toBe(expected)
      }),
    )
  })

  it('ranks any prerelease below its release', () => {
    fc.assert(
      fc.property(release, fc.stringMatching(/^[0-9A-Za-z]{1,8}(\.[0-9A-Za-z]{1,8}){0,2}$/), (x, tag) => {
        expect(paddedVersion(`${x.join('.')}-${tag}`) < paddedVersion(x.join('.'))).toBe(true)
      }),
    )
  })
})

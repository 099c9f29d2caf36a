import { describe, expect, it } from 'vitest'
import { MAX_CONDITION_BYTES, MAX_CONDITION_DEPTH, MAX_REGEX_LENGTH, validateConditions } from '../src/index.js'

/** The single issue for `conditions`, failing the test if there is not exactly one. */
function onlyIssue(conditions: unknown) {
  const issues = validateConditions(conditions)
  expect(issues).toHaveLength(1)
  return issues[0]!
}

describe('valid conditions', () => {
  it.each([
    ['empty', {}],
    ['plain values', { country: 'US', age: 30, beta: true, email: null }],
    ['literals', { pair: [1, 'a', null], point: { x: 1, y: [2] }, empty: {} }],
    ['dotted path', { 'address.geo.lat': { $gt: 40 } }],
    ['comparisons', { age: { $gte: 18, $lt: 65 }, name: { $gt: 'm' } }],
    ['membership', { c: { $in: ['US', 1, true, null] }, d: { $nin: [] }, e: { $ini: ['a'] }, f: { $nini: ['b'] } }],
    ['$all with conditions', { tags: { $all: ['a', { $regex: '^b' }] }, t2: { $alli: ['X'] } }],
    ['$elemMatch both forms', { s: { $elemMatch: { $gt: 1 } }, o: { $elemMatch: { sku: 'A', $or: [{ qty: 1 }] } }, e: { $elemMatch: {} } }],
    ['$size', { a: { $size: 0 }, b: { $size: { $gte: 2 } } }],
    ['$exists', { a: { $exists: true }, b: { $exists: false }, c: { $exists: 1 }, d: { $exists: 0 } }],
    ['$type', { a: { $type: 'undefined' }, b: { $type: 'array' } }],
    ['regexes', { ua: { $regex: '(Mobile|Tablet)' }, e: { $regexi: '@EXAMPLE\\.com$' }, v: { $regex: '^\\d+\\.\\d+$' } }],
    ['versions', { app: { $vgte: '1.2.3', $vlt: 'v2.0.0-rc.1', $veq: 3, $vne: '1.0.0+build' } }],
    ['value $not', { email: { $not: { $regex: '@test\\.' } }, c: { $not: 'US' } }],
    ['logic', { $and: [{ a: 1 }], $or: [], $nor: [{ b: 2 }], $not: { c: 3 } }],
    ['keys needing pointer escapes', { 'a/b': 1, 'm~n': 2 }],
  ])('%s', (_name, conditions) => {
    expect(validateConditions(conditions)).toEqual([])
  })
})

describe('root', () => {
  it.each([null, undefined, 'US', 42, true, [], [{ a: 1 }], new Date()])('rejects %j', (value) => {
    expect(onlyIssue(value)).toEqual({ path: '', message: expect.stringMatching(/must be a JSON object/) })
  })
})

describe('unknown operators', () => {
  it('on an attribute', () => {
    expect(onlyIssue({ country: { $foo: 'US' } })).toEqual({ path: '/country/$foo', message: 'unknown operator "$foo"' })
  })

  it('at condition level', () => {
    expect(onlyIssue({ $foo: 1 })).toEqual({ path: '/$foo', message: 'unknown operator "$foo"' })
  })

  it('inside $or, with the full path', () => {
    expect(onlyIssue({ $or: [{ a: 1 }, { age: { $gtx: 5 } }] }).path).toBe('/$or/1/age/$gtx')
  })

  it('explains that saved groups are not supported', () => {
    const issue = onlyIssue({ id: { $inGroup: 'g' } })
    expect(issue.path).toBe('/id/$inGroup')
    expect(issue.message).toMatch(/saved groups are not supported/)
    expect(onlyIssue({ id: { $notInGroup: 'g' } }).path).toBe('/id/$notInGroup')
  })

  it('explains a value operator used at condition level', () => {
    const issue = onlyIssue({ $in: ['US'] })
    expect(issue.path).toBe('/$in')
    expect(issue.message).toMatch(/applies to an attribute/)
  })

  it('explains a logical operator used on an attribute', () => {
    const issue = onlyIssue({ age: { $or: [{ $gt: 1 }] } })
    expect(issue.path).toBe('/age/$or')
    expect(issue.message).toMatch(/cannot be applied to one attribute/)
  })

  it('flags a lone $or inside $elemMatch, which GrowthBook reads as an operator', () => {
    expect(onlyIssue({ orders: { $elemMatch: { $or: [{ sku: 'A' }] } } }).path).toBe('/orders/$elemMatch/$or')
  })
})

describe('$and, $or, $nor, $not', () => {
  it.each(['$and', '$or', '$nor'])('%s must be an array', (op) => {
    const issue = onlyIssue({ [op]: { a: 1 } })
    expect(issue).toEqual({ path: `/${op}`, message: expect.stringMatching(/needs an array of conditions/) })
  })

  it.each(['$and', '$or', '$nor'])('%s entries must be objects', (op) => {
    const issue = onlyIssue({ [op]: [{ a: 1 }, 'b'] })
    expect(issue).toEqual({ path: `/${op}/1`, message: `each "${op}" entry must be a condition object` })
    expect(onlyIssue({ [op]: [[{ a: 1 }]] }).path).toBe(`/${op}/0`)
  })

  it('an empty $nor never matches', () => {
    expect(onlyIssue({ $nor: [] })).toEqual({ path: '/$nor', message: expect.stringMatching(/never matches/) })
  })

  it('$not needs a condition object', () => {
    expect(onlyIssue({ $not: [{ a: 1 }] })).toEqual({ path: '/$not', message: expect.stringMatching(/needs a condition object/) })
    expect(onlyIssue({ $not: { a: { $bad: 1 } } }).path).toBe('/$not/a/$bad')
  })
})

describe('operand types', () => {
  it.each(['$in', '$nin', '$ini', '$nini'])('%s needs an array of scalars', (op) => {
    expect(onlyIssue({ country: { [op]: 'US' } })).toEqual({ path: `/country/${op}`, message: `"${op}" needs an array of values, e.g. ["US", "CA"]` })
    expect(onlyIssue({ country: { [op]: ['US', ['CA']] } }).path).toBe(`/country/${op}/1`)
    expect(onlyIssue({ country: { [op]: [{ a: 1 }] } }).path).toBe(`/country/${op}/0`)
  })

  it.each(['$all', '$alli'])('%s needs an array whose entries are valid', (op) => {
    expect(onlyIssue({ tags: { [op]: 'a' } }).path).toBe(`/tags/${op}`)
    expect(onlyIssue({ tags: { [op]: ['a', { $bad: 1 }] } }).path).toBe(`/tags/${op}/1/$bad`)
  })

  it.each(['$eq', '$ne'])('%s needs a scalar', (op) => {
    expect(onlyIssue({ a: { [op]: [1] } })).toEqual({ path: `/a/${op}`, message: expect.stringMatching(/arrays and objects never match/) })
    expect(onlyIssue({ a: { [op]: { b: 1 } } }).path).toBe(`/a/${op}`)
  })

  it.each(['$lt', '$lte', '$gt', '$gte'])('%s needs a number or string', (op) => {
    expect(onlyIssue({ age: { [op]: true } })).toEqual({ path: `/age/${op}`, message: `"${op}" needs a number or a string to compare with` })
    expect(onlyIssue({ age: { [op]: null } }).path).toBe(`/age/${op}`)
    expect(onlyIssue({ age: { [op]: [1] } }).path).toBe(`/age/${op}`)
  })

  it.each(['$veq', '$vne', '$vgt', '$vgte', '$vlt', '$vlte'])('%s needs a version', (op) => {
    expect(onlyIssue({ app: { [op]: '' } })).toEqual({ path: `/app/${op}`, message: `"${op}" needs a version string such as "1.2.3"` })
    expect(onlyIssue({ app: { [op]: { major: 1 } } }).path).toBe(`/app/${op}`)
  })

  it('$size needs a whole number or operators', () => {
    for (const bad of ['3', -1, 1.5, {}, { a: 1 }, [3], null]) {
      expect(onlyIssue({ tags: { $size: bad } }).path).toBe('/tags/$size')
    }
    expect(onlyIssue({ tags: { $size: { $gt: true } } }).path).toBe('/tags/$size/$gt')
  })

  it('$exists needs true or false', () => {
    for (const bad of ['yes', 'false', null, 2, {}]) {
      expect(onlyIssue({ a: { $exists: bad } })).toEqual({ path: '/a/$exists', message: '"$exists" needs true or false' })
    }
  })

  it('$type needs a known type name', () => {
    expect(onlyIssue({ a: { $type: 'int' } })).toEqual({
      path: '/a/$type',
      message: '"$type" must be one of string, number, boolean, array, object, null, undefined',
    })
    expect(onlyIssue({ a: { $type: 'unknown' } }).path).toBe('/a/$type')
  })

  it('$elemMatch needs an object, checked by the form it takes', () => {
    expect(onlyIssue({ tags: { $elemMatch: 'a' } })).toEqual({ path: '/tags/$elemMatch', message: expect.stringMatching(/needs an object/) })
    expect(onlyIssue({ tags: { $elemMatch: ['a'] } }).path).toBe('/tags/$elemMatch')
    expect(onlyIssue({ tags: { $elemMatch: { $gt: [1] } } }).path).toBe('/tags/$elemMatch/$gt')
    expect(onlyIssue({ hobbies: { $elemMatch: { name: { $regex: '(' } } } }).path).toBe('/hobbies/$elemMatch/name/$regex')
  })

  it('value $not checks what it negates', () => {
    expect(onlyIssue({ a: { $not: { $in: 'x' } } }).path).toBe('/a/$not/$in')
  })
})

describe('regular expressions', () => {
  it.each(['$regex', '$regexi'])('%s needs a string pattern', (op) => {
    expect(onlyIssue({ name: { [op]: 5 } })).toEqual({ path: `/name/${op}`, message: `"${op}" needs the pattern as a string` })
  })

  it.each(['$regex', '$regexi'])('%s rejects a pattern that does not compile', (op) => {
    const issue = onlyIssue({ name: { [op]: '/???***[)' } })
    expect(issue.path).toBe(`/name/${op}`)
    expect(issue.message).toMatch(/is not a valid regular expression \(Invalid regular expression/)
  })

  it(`caps patterns at ${MAX_REGEX_LENGTH} characters`, () => {
    expect(validateConditions({ name: { $regex: 'a'.repeat(MAX_REGEX_LENGTH) } })).toEqual([])
    expect(onlyIssue({ name: { $regex: 'a'.repeat(MAX_REGEX_LENGTH + 1) } })).toEqual({
      path: '/name/$regex',
      message: `"$regex" pattern is ${MAX_REGEX_LENGTH + 1} characters long; the limit is ${MAX_REGEX_LENGTH}`,
    })
  })

  it.each(['(a+)+$', '(a*)*', '(\\w+\\s?)*x', '(?:[a-z]+)+@', '((ab)+c)*', '(x+){2,}'])('rejects the nested repeat in %s', (pattern) => {
    const issue = onlyIssue({ email: { $regex: pattern } })
    expect(issue.path).toBe('/email/$regex')
    expect(issue.message).toMatch(/exponential time/)
  })

  it.each(['(ab)+', '(a|b)*c', '[(a+)]+', '\\(a+\\)+', 'a+b+c*', '(a+)?', '(a+){2}', '^(Mobile|Tablet)'])('accepts %s', (pattern) => {
    expect(validateConditions({ ua: { $regex: pattern } })).toEqual([])
  })
})

describe('attribute paths and literals', () => {
  it('rejects an empty path or empty segments', () => {
    expect(onlyIssue({ '': 1 })).toEqual({ path: '/', message: 'attribute path is empty' })
    expect(onlyIssue({ 'a..b': 1 }).path).toBe('/a..b')
    expect(onlyIssue({ '.a': 1 }).path).toBe('/.a')
  })

  it('rejects objects mixing operators and plain keys', () => {
    expect(onlyIssue({ a: { $gt: 1, b: 2 } })).toEqual({ path: '/a', message: expect.stringMatching(/mixes operators \("\$gt"\) with plain keys \("b"\)/) })
  })

  it('rejects values JSON cannot carry', () => {
    expect(onlyIssue({ a: Number.NaN })).toEqual({ path: '/a', message: 'is not a JSON value (NaN)' })
    expect(onlyIssue({ a: undefined }).path).toBe('/a')
    expect(onlyIssue({ a: [1, () => 1] }).path).toBe('/a/1')
    expect(onlyIssue({ a: { b: new Date(0) } }).path).toBe('/a/b')
    expect(onlyIssue({ a: { $eq: Infinity } }).path).toBe('/a/$eq')
  })

  it('escapes "~" and "/" in paths (RFC 6901)', () => {
    expect(onlyIssue({ 'a/b': { $foo: 1 } }).path).toBe('/a~1b/$foo')
    expect(onlyIssue({ 'm~n': { $foo: 1 } }).path).toBe('/m~0n/$foo')
    expect(onlyIssue({ '~/': { $foo: 1 } }).path).toBe('/~0~1/$foo')
  })

  it('reports every issue, not just the first', () => {
    expect(validateConditions({ a: { $foo: 1 }, b: { $in: 2 }, $or: 3 }).map((i) => i.path)).toEqual(['/a/$foo', '/b/$in', '/$or'])
  })
})

describe('limits', () => {
  /** `{a: {$not: {$not: ... {$eq: 1}}}}` whose innermost operator object sits at `level`. */
  function nestedNots(level: number) {
    let inner: unknown = { $eq: 1 }
    for (let i = 2; i < level; i++) inner = { $not: inner }
    return { a: inner }
  }

  it(`accepts nesting ${MAX_CONDITION_DEPTH} levels deep and rejects one more`, () => {
    expect(validateConditions(nestedNots(MAX_CONDITION_DEPTH))).toEqual([])
    const issue = onlyIssue(nestedNots(MAX_CONDITION_DEPTH + 1))
    expect(issue.path).toBe(`/a${'/$not'.repeat(MAX_CONDITION_DEPTH - 1)}`)
    expect(issue.message).toMatch(/nested deeper than 10 levels/)
  })

  it('counts arrays as levels too', () => {
    let literal: unknown = 1
    for (let i = 0; i < MAX_CONDITION_DEPTH - 1; i++) literal = [literal]
    expect(validateConditions({ a: literal })).toEqual([])
    expect(onlyIssue({ a: [literal] }).path).toBe(`/a${'/0'.repeat(MAX_CONDITION_DEPTH - 1)}`)
  })

  it('counts $or lists and their entries', () => {
    // root(1) > $or list(2) > entry(3) > $or(4) > entry(5) > $or(6) > entry(7) > $or(8) > entry(9) > $or(10) > entry(11)
    let condition: Record<string, unknown> = { a: 1 }
    for (let i = 0; i < 5; i++) condition = { $or: [condition] }
    expect(onlyIssue(condition).path).toBe('/$or/0/$or/0/$or/0/$or/0/$or/0')
  })

  it('stops at the depth limit on cyclic input instead of looping', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.$not = cyclic
    expect(onlyIssue(cyclic).message).toMatch(/nested deeper/)
  })

  it(`accepts ${MAX_CONDITION_BYTES} bytes of JSON and rejects one more, counting UTF-8 bytes`, () => {
    // {"a":"…"} is 8 bytes plus 2 per "é"
    const fits = { a: 'é'.repeat((MAX_CONDITION_BYTES - 8) / 2) }
    expect(JSON.stringify(fits).length).toBeLessThan(MAX_CONDITION_BYTES)
    expect(validateConditions(fits)).toEqual([])
    const over = { a: `${fits.a}x` }
    expect(onlyIssue(over)).toEqual({ path: '', message: `conditions take ${MAX_CONDITION_BYTES + 1} bytes as JSON; the limit is ${MAX_CONDITION_BYTES}` })
  })

  it('counts astral characters as 4 bytes', () => {
    const emoji = '😀'.repeat((MAX_CONDITION_BYTES - 8) / 4)
    expect(validateConditions({ a: emoji })).toEqual([])
    expect(onlyIssue({ a: `${emoji}x` }).path).toBe('')
  })
})

import { describe, expect, it } from 'vitest'
import { evaluateConditions, type ConditionObject } from '../src/index.js'

const check = (condition: ConditionObject, attributes: Record<string, unknown>) => evaluateConditions(condition, attributes)

describe('plain values', () => {
  it('compares strings after turning the attribute into a string', () => {
    expect(check({ country: 'US' }, { country: 'US' })).toBe(true)
    expect(check({ country: 'US' }, { country: 'us' })).toBe(false)
    expect(check({ id: '123' }, { id: 123 })).toBe(true)
    expect(check({ flag: 'true' }, { flag: true })).toBe(true)
  })

  it('turns array attributes into comma-joined strings for string conditions', () => {
    expect(check({ tags: 'a' }, { tags: ['a'] })).toBe(true)
    expect(check({ tags: 'a' }, { tags: ['a', 'b'] })).toBe(false)
    expect(check({ tags: 'a,b' }, { tags: ['a', 'b'] })).toBe(true)
  })

  it('lets a missing attribute equal the string "null"', () => {
    expect(check({ plan: 'null' }, {})).toBe(true)
    expect(check({ plan: 'undefined' }, { plan: undefined })).toBe(true)
  })

  it('compares numbers after numeric conversion of the attribute', () => {
    expect(check({ age: 18 }, { age: 18 })).toBe(true)
    expect(check({ age: 18 }, { age: '18' })).toBe(true)
    expect(check({ age: 18 }, { age: ' 18 ' })).toBe(true)
    expect(check({ age: 18 }, { age: [18] })).toBe(true)
    expect(check({ age: 18 }, { age: '18 years' })).toBe(false)
    expect(check({ level: 1 }, { level: true })).toBe(true)
  })

  it('lets missing, null and empty-string attributes equal 0', () => {
    expect(check({ visits: 0 }, {})).toBe(true)
    expect(check({ visits: 0 }, { visits: null })).toBe(true)
    expect(check({ visits: 0 }, { visits: '' })).toBe(true)
    expect(check({ visits: 0 }, { visits: undefined })).toBe(false)
  })

  it('compares booleans by truthiness, but never matches null or a missing attribute', () => {
    expect(check({ beta: true }, { beta: true })).toBe(true)
    expect(check({ beta: true }, { beta: 1 })).toBe(true)
    expect(check({ beta: true }, { beta: 'no' })).toBe(true)
    expect(check({ beta: true }, { beta: '' })).toBe(false)
    expect(check({ beta: false }, { beta: 0 })).toBe(true)
    expect(check({ beta: false }, {})).toBe(false)
    expect(check({ beta: false }, { beta: null })).toBe(false)
    expect(check({ beta: false }, { beta: undefined })).toBe(true)
  })

  it('matches null against null or a missing attribute only', () => {
    expect(check({ email: null }, {})).toBe(true)
    expect(check({ email: null }, { email: null })).toBe(true)
    expect(check({ email: null }, { email: undefined })).toBe(false)
    expect(check({ email: null }, { email: 0 })).toBe(false)
    expect(check({ email: null }, { email: '' })).toBe(false)
  })

  it('compares literal arrays and objects as JSON, so order and key order matter', () => {
    expect(check({ pair: [1, 2] }, { pair: [1, 2] })).toBe(true)
    expect(check({ pair: [1, 2] }, { pair: [2, 1] })).toBe(false)
    expect(check({ point: { x: 1, y: 2 } }, { point: { x: 1, y: 2 } })).toBe(true)
    expect(check({ point: { x: 1, y: 2 } }, { point: { y: 2, x: 1 } })).toBe(false)
    expect(check({ meta: {} }, { meta: {} })).toBe(true)
    expect(check({ meta: {} }, { meta: { a: 1 } })).toBe(false)
  })

  it('ANDs top-level keys', () => {
    expect(check({ country: 'US', plan: 'pro' }, { country: 'US', plan: 'pro' })).toBe(true)
    expect(check({ country: 'US', plan: 'pro' }, { country: 'US', plan: 'free' })).toBe(false)
  })

  it('matches everyone with an empty condition', () => {
    expect(check({}, {})).toBe(true)
  })
})

describe('dotted paths', () => {
  const user = { address: { city: 'Paris', geo: { lat: 48.8 } }, tags: ['a', 'b'], nothing: null }

  it('walks into nested objects', () => {
    expect(check({ 'address.city': 'Paris' }, user)).toBe(true)
    expect(check({ 'address.geo.lat': { $gt: 48 } }, user)).toBe(true)
  })

  it('indexes arrays and reads their length', () => {
    expect(check({ 'tags.0': 'a' }, user)).toBe(true)
    expect(check({ 'tags.1': 'b' }, user)).toBe(true)
    expect(check({ 'tags.length': 2 }, user)).toBe(true)
  })

  it('gives null when a step is missing or not an object', () => {
    expect(check({ 'address.zip': { $exists: false } }, user)).toBe(true)
    expect(check({ 'address.city.name': null }, user)).toBe(true)
    expect(check({ 'nothing.deeper': null }, user)).toBe(true)
    expect(check({ 'address.zip': { $type: 'null' } }, user)).toBe(true)
  })

  it('cannot address a key that itself contains a dot', () => {
    expect(check({ 'a.b': 1 }, { 'a.b': 1 })).toBe(false)
  })

  it('ignores inherited properties such as constructor or toString', () => {
    expect(check({ constructor: { $exists: true } }, {})).toBe(false)
    expect(check({ 'address.toString': { $exists: true } }, user)).toBe(false)
  })
})

describe('$eq and $ne', () => {
  it('compare strictly, without conversion', () => {
    expect(check({ n: { $eq: 5 } }, { n: 5 })).toBe(true)
    expect(check({ n: { $eq: 5 } }, { n: '5' })).toBe(false)
    expect(check({ n: { $eq: true } }, { n: 1 })).toBe(false)
    expect(check({ n: { $ne: 5 } }, { n: '5' })).toBe(true)
  })

  it('treat a missing attribute as null', () => {
    expect(check({ n: { $eq: null } }, {})).toBe(true)
    expect(check({ n: { $ne: 'x' } }, {})).toBe(true)
    expect(check({ n: { $eq: false } }, {})).toBe(false)
  })

  it('never match arrays, which are compared by reference', () => {
    expect(check({ n: { $eq: [1] } }, { n: [1] })).toBe(false)
    expect(check({ n: { $ne: [1] } }, { n: [1] })).toBe(true)
  })
})

describe('$lt, $lte, $gt, $gte', () => {
  it('compare numbers', () => {
    expect(check({ age: { $gt: 17, $lte: 65 } }, { age: 18 })).toBe(true)
    expect(check({ age: { $gt: 17, $lte: 65 } }, { age: 66 })).toBe(false)
    expect(check({ age: { $gte: 18 } }, { age: 18 })).toBe(true)
    expect(check({ age: { $lt: 18 } }, { age: 18 })).toBe(false)
  })

  it('compare two strings character by character', () => {
    expect(check({ v: { $gt: '10' } }, { v: '9' })).toBe(true)
    expect(check({ d: { $gte: '2024-01-01' } }, { d: '2024-06-30' })).toBe(true)
    expect(check({ w: { $lt: 'b' } }, { w: 'B' })).toBe(true)
  })

  it('convert a numeric string when the other side is a number', () => {
    expect(check({ age: { $gt: 9 } }, { age: '10' })).toBe(true)
    expect(check({ age: { $lt: '10' } }, { age: 9 })).toBe(true)
    expect(check({ age: { $gt: 0 } }, { age: 'ten' })).toBe(false)
    expect(check({ age: { $lte: 0 } }, { age: 'ten' })).toBe(false)
  })

  it('treat a missing attribute as 0', () => {
    expect(check({ age: { $lt: 5 } }, {})).toBe(true)
    expect(check({ age: { $lte: 0 } }, {})).toBe(true)
    expect(check({ age: { $gte: 0 } }, {})).toBe(true)
    expect(check({ age: { $gt: 0 } }, {})).toBe(false)
    expect(check({ age: { $gt: -1 } }, {})).toBe(true)
  })

  it('convert single-element arrays and booleans like JavaScript', () => {
    expect(check({ n: { $lt: 10 } }, { n: [5] })).toBe(true)
    expect(check({ n: { $gt: 0 } }, { n: true })).toBe(true)
  })

  it('return false instead of throwing for values without a primitive form', () => {
    expect(check({ n: { $lt: 10 } }, { n: Object.create(null) })).toBe(false)
    expect(check({ n: { $gte: 1 } }, { n: Symbol('s') })).toBe(false)
  })
})

describe('$exists', () => {
  it('checks the attribute is neither missing, null nor undefined', () => {
    expect(check({ email: { $exists: true } }, { email: 'a@b.c' })).toBe(true)
    expect(check({ email: { $exists: true } }, { email: '' })).toBe(true)
    expect(check({ email: { $exists: true } }, { email: 0 })).toBe(true)
    expect(check({ email: { $exists: true } }, { email: null })).toBe(false)
    expect(check({ email: { $exists: true } }, { email: undefined })).toBe(false)
    expect(check({ email: { $exists: false } }, {})).toBe(true)
    expect(check({ email: { $exists: false } }, { email: 'x' })).toBe(false)
  })

  it('reads its operand by truthiness', () => {
    expect(check({ email: { $exists: 1 } }, { email: 'x' })).toBe(true)
    expect(check({ email: { $exists: 0 } }, {})).toBe(true)
  })
})

describe('$in and $nin', () => {
  it('test membership strictly', () => {
    expect(check({ country: { $in: ['US', 'CA'] } }, { country: 'CA' })).toBe(true)
    expect(check({ country: { $in: ['US', 'CA'] } }, { country: 'MX' })).toBe(false)
    expect(check({ id: { $in: [1, 2] } }, { id: '1' })).toBe(false)
    expect(check({ country: { $nin: ['US', 'CA'] } }, { country: 'MX' })).toBe(true)
  })

  it('intersect with an array attribute', () => {
    expect(check({ roles: { $in: ['admin', 'owner'] } }, { roles: ['viewer', 'owner'] })).toBe(true)
    expect(check({ roles: { $in: ['admin'] } }, { roles: [] })).toBe(false)
    expect(check({ roles: { $nin: ['admin'] } }, { roles: ['viewer'] })).toBe(true)
    expect(check({ roles: { $nin: ['admin'] } }, { roles: [] })).toBe(true)
  })

  it('see a missing attribute as null', () => {
    expect(check({ plan: { $in: [null, 'free'] } }, {})).toBe(true)
    expect(check({ plan: { $nin: ['pro'] } }, {})).toBe(true)
  })

  it('fail both ways when the operand is not an array', () => {
    expect(check({ plan: { $in: 'pro' } }, { plan: 'pro' })).toBe(false)
    expect(check({ plan: { $nin: 'pro' } }, { plan: 'free' })).toBe(false)
  })
})

describe('$ini and $nini', () => {
  it('ignore the case of strings on both sides', () => {
    expect(check({ country: { $ini: ['us', 'Ca'] } }, { country: 'CA' })).toBe(true)
    expect(check({ country: { $nini: ['us', 'Ca'] } }, { country: 'cA' })).toBe(false)
    expect(check({ country: { $nini: ['us'] } }, { country: 'MX' })).toBe(true)
  })

  it('intersect with an array attribute', () => {
    expect(check({ tags: { $ini: ['VIP'] } }, { tags: ['new', 'vip'] })).toBe(true)
    expect(check({ tags: { $nini: ['VIP'] } }, { tags: ['new', 'Vip'] })).toBe(false)
  })

  it('compare non-strings strictly', () => {
    expect(check({ n: { $ini: [1] } }, { n: 1 })).toBe(true)
    expect(check({ n: { $ini: [1] } }, { n: '1' })).toBe(false)
  })

  it('lowercase with toLowerCase, not full Unicode case folding', () => {
    expect(check({ x: { $ini: ['Σ'] } }, { x: 'σ' })).toBe(true)
    expect(check({ x: { $ini: ['İ'] } }, { x: 'i' })).toBe(false)
    expect(check({ x: { $ini: ['STRAßE'] } }, { x: 'STRASSE' })).toBe(false)
  })

  it('fail when the operand is not an array', () => {
    expect(check({ x: { $ini: 'a' } }, { x: 'a' })).toBe(false)
    expect(check({ x: { $nini: 'a' } }, { x: 'b' })).toBe(false)
  })
})

describe('$all and $alli', () => {
  it('require every entry to be in the array attribute', () => {
    expect(check({ tags: { $all: ['a', 'c'] } }, { tags: ['a', 'b', 'c'] })).toBe(true)
    expect(check({ tags: { $all: ['a', 'd'] } }, { tags: ['a', 'b', 'c'] })).toBe(false)
    expect(check({ tags: { $all: [] } }, { tags: [] })).toBe(true)
  })

  it('fail for non-array attributes and operands', () => {
    expect(check({ tags: { $all: ['a'] } }, { tags: 'a' })).toBe(false)
    expect(check({ tags: { $all: [] } }, {})).toBe(false)
    expect(check({ tags: { $all: 'a' } }, { tags: ['a'] })).toBe(false)
  })

  it('match entries like plain-value conditions, so they convert and can hold operators', () => {
    expect(check({ ids: { $all: ['1', 2] } }, { ids: [1, '2'] })).toBe(true)
    expect(check({ scores: { $all: [{ $gt: 90 }, { $lt: 10 }] } }, { scores: [5, 50, 95] })).toBe(true)
    expect(check({ scores: { $all: [{ $gt: 90 }] } }, { scores: [5, 50] })).toBe(false)
  })

  it('$alli ignores case for string entries', () => {
    expect(check({ tags: { $alli: ['VIP', 'Beta'] } }, { tags: ['beta', 'vip'] })).toBe(true)
    expect(check({ tags: { $alli: ['VIP', 'gamma'] } }, { tags: ['beta', 'vip'] })).toBe(false)
    expect(check({ tags: { $alli: 'vip' } }, { tags: ['vip'] })).toBe(false)
  })
})

describe('$elemMatch', () => {
  it('applies operators to each element', () => {
    expect(check({ scores: { $elemMatch: { $gte: 90, $lt: 95 } } }, { scores: [50, 92] })).toBe(true)
    expect(check({ scores: { $elemMatch: { $gte: 90, $lt: 95 } } }, { scores: [50, 99] })).toBe(false)
  })

  it('applies a plain condition to the fields of each element', () => {
    const orders = {
      orders: [
        { sku: 'A', qty: 1 },
        { sku: 'B', qty: 3 },
      ],
    }
    expect(check({ orders: { $elemMatch: { sku: 'B', qty: { $gt: 2 } } } }, orders)).toBe(true)
    expect(check({ orders: { $elemMatch: { sku: 'A', qty: { $gt: 2 } } } }, orders)).toBe(false)
    expect(check({ orders: { $elemMatch: { qty: 1, $or: [{ sku: 'Z' }, { sku: 'A' }] } } }, orders)).toBe(true)
  })

  it('reads an object of only "$" keys as operators, so a lone $or inside it never matches', () => {
    const orders = { orders: [{ sku: 'A', qty: 1 }] }
    expect(check({ orders: { $elemMatch: { $or: [{ sku: 'A' }] } } }, orders)).toBe(false)
  })

  it('skips falsy elements, as GrowthBook does', () => {
    expect(check({ xs: { $elemMatch: { $eq: 0 } } }, { xs: [0] })).toBe(false)
    expect(check({ xs: { $elemMatch: { $eq: '' } } }, { xs: [''] })).toBe(false)
    expect(check({ xs: { $elemMatch: { $exists: false } } }, { xs: [null] })).toBe(false)
  })

  it('treats an empty object as "any truthy element"', () => {
    expect(check({ xs: { $elemMatch: {} } }, { xs: [0, 'x'] })).toBe(true)
    expect(check({ xs: { $elemMatch: {} } }, { xs: [0, ''] })).toBe(false)
  })

  it('fails for non-arrays and non-object operands', () => {
    expect(check({ xs: { $elemMatch: { $eq: 'a' } } }, { xs: 'a' })).toBe(false)
    expect(check({ xs: { $elemMatch: 'a' } } as ConditionObject, { xs: ['a'] })).toBe(false)
    expect(check({ xs: { $elemMatch: ['a'] } } as ConditionObject, { xs: ['a'] })).toBe(false)
  })
})

describe('$size', () => {
  it('compares the length of an array attribute', () => {
    expect(check({ tags: { $size: 2 } }, { tags: ['a', 'b'] })).toBe(true)
    expect(check({ tags: { $size: 2 } }, { tags: ['a'] })).toBe(false)
    expect(check({ tags: { $size: { $gte: 1, $lt: 3 } } }, { tags: ['a'] })).toBe(true)
  })

  it('fails for strings and missing attributes', () => {
    expect(check({ name: { $size: 3 } }, { name: 'abc' })).toBe(false)
    expect(check({ tags: { $size: 0 } }, {})).toBe(false)
  })

  it('compares the length like a plain-value condition', () => {
    expect(check({ tags: { $size: '2' } } as ConditionObject, { tags: [1, 2] })).toBe(true)
  })
})

describe('$type', () => {
  it.each([
    ['string', 'x'],
    ['number', 1.5],
    ['boolean', false],
    ['array', []],
    ['object', {}],
    ['null', null],
    ['undefined', undefined],
  ])('recognises %s', (type, value) => {
    expect(check({ a: { $type: type } }, { a: value })).toBe(true)
    expect(check({ a: { $type: type === 'string' ? 'number' : 'string' } }, { a: value })).toBe(false)
  })

  it('reports a missing attribute as null, not undefined', () => {
    expect(check({ a: { $type: 'null' } }, {})).toBe(true)
    expect(check({ a: { $type: 'undefined' } }, {})).toBe(false)
  })
})

describe('$regex', () => {
  it('searches anywhere in the string unless anchored', () => {
    expect(check({ email: { $regex: '@example\\.com$' } }, { email: 'ann@example.com' })).toBe(true)
    expect(check({ email: { $regex: '^ann' } }, { email: 'joann@example.com' })).toBe(false)
    expect(check({ ua: { $regex: 'mobile' } }, { ua: 'Mobile Safari' })).toBe(false)
  })

  it('accepts unescaped slashes', () => {
    expect(check({ path: { $regex: '^/blog/\\d+' } }, { path: '/blog/42' })).toBe(true)
  })

  it('stringifies non-string attributes, including a missing one as "null"', () => {
    expect(check({ id: { $regex: '^12' } }, { id: 123 })).toBe(true)
    expect(check({ tags: { $regex: 'a,b' } }, { tags: ['a', 'b'] })).toBe(true)
    expect(check({ name: { $regex: '^null$' } }, {})).toBe(true)
  })

  it('returns false for an invalid or non-string pattern, without throwing', () => {
    expect(check({ name: { $regex: '(' } }, { name: '(' })).toBe(false)
    expect(check({ name: { $regex: 5 } } as ConditionObject, { name: '5' })).toBe(false)
  })
})

describe('$regexi', () => {
  it('matches ignoring case', () => {
    expect(check({ ua: { $regexi: 'mobile|tablet' } }, { ua: 'iPad TABLET' })).toBe(true)
    expect(check({ ua: { $regexi: 'mobile' } }, { ua: 'Desktop' })).toBe(false)
  })

  it('returns false for an invalid pattern', () => {
    expect(check({ ua: { $regexi: '[' } }, { ua: '[' })).toBe(false)
  })
})

describe('$not on a value', () => {
  it('negates operators and plain values', () => {
    expect(check({ email: { $not: { $regex: '@test\\.' } } }, { email: 'a@prod.io' })).toBe(true)
    expect(check({ email: { $not: { $regex: '@test\\.' } } }, { email: 'a@test.io' })).toBe(false)
    expect(check({ country: { $not: 'US' } }, { country: 'CA' })).toBe(true)
  })

  it('negates a malformed operator too (its false becomes true)', () => {
    expect(check({ x: { $not: { $in: 'a' } } } as ConditionObject, { x: 'a' })).toBe(true)
  })
})

describe('$and, $or, $nor, $not on conditions', () => {
  const user = { country: 'US', age: 30 }

  it('$and needs every condition', () => {
    expect(check({ $and: [{ country: 'US' }, { age: { $gte: 18 } }] }, user)).toBe(true)
    expect(check({ $and: [{ country: 'US' }, { age: { $gte: 40 } }] }, user)).toBe(false)
    expect(check({ $and: [] }, user)).toBe(true)
  })

  it('$or needs one condition, and an empty $or passes', () => {
    expect(check({ $or: [{ country: 'CA' }, { age: 30 }] }, user)).toBe(true)
    expect(check({ $or: [{ country: 'CA' }, { age: 31 }] }, user)).toBe(false)
    expect(check({ $or: [] }, user)).toBe(true)
  })

  it('$nor needs no condition to hold, and an empty $nor never passes', () => {
    expect(check({ $nor: [{ country: 'CA' }, { age: 31 }] }, user)).toBe(true)
    expect(check({ $nor: [{ country: 'US' }] }, user)).toBe(false)
    expect(check({ $nor: [] }, user)).toBe(false)
  })

  it('$not negates a whole condition', () => {
    expect(check({ $not: { country: 'US', age: 31 } }, user)).toBe(true)
    expect(check({ $not: { country: 'US' } }, user)).toBe(false)
  })

  it('combine with attribute keys by AND', () => {
    expect(check({ country: 'US', $or: [{ age: 1 }, { age: 30 }] }, user)).toBe(true)
    expect(check({ country: 'CA', $or: [{ age: 1 }, { age: 30 }] }, user)).toBe(false)
  })

  it('fail when their operand has the wrong shape', () => {
    expect(check({ $or: {} } as ConditionObject, user)).toBe(false)
    expect(check({ $and: 'x' } as ConditionObject, user)).toBe(false)
    expect(check({ $nor: [5] } as ConditionObject, user)).toBe(false)
    expect(check({ $nor: 5 } as ConditionObject, user)).toBe(false)
    expect(check({ $not: null } as ConditionObject, user)).toBe(false)
    expect(check({ $or: [{ country: 'US' }, 'x'] } as ConditionObject, user)).toBe(false)
  })
})

describe('version operators', () => {
  it('compare numerically part by part', () => {
    expect(check({ app: { $vgt: '1.9.0' } }, { app: '1.10.0' })).toBe(true)
    expect(check({ app: { $vlt: '2.0.0' } }, { app: '1.99.99' })).toBe(true)
    expect(check({ app: { $vgte: '1.2.3', $vlte: '1.2.3' } }, { app: '1.2.3' })).toBe(true)
  })

  it('ignore a leading v and build metadata', () => {
    expect(check({ app: { $veq: 'v1.2.3' } }, { app: '1.2.3+sha.abc' })).toBe(true)
    expect(check({ app: { $vne: '1.2.3' } }, { app: 'v1.2.3' })).toBe(false)
  })

  it('rank prereleases below their release', () => {
    expect(check({ app: { $vlt: '2.0.0' } }, { app: '2.0.0-rc.1' })).toBe(true)
    expect(check({ app: { $vgt: '2.0.0-beta.2' } }, { app: '2.0.0-beta.10' })).toBe(true)
    expect(check({ app: { $vgt: '2.0.0-beta' } }, { app: '2.0.0-alpha' })).toBe(false)
  })

  it('treat "1.2" and "1.2.0" as different, with the shorter one lower', () => {
    expect(check({ app: { $veq: '1.2.0' } }, { app: '1.2' })).toBe(false)
    expect(check({ app: { $vlt: '1.2.0' } }, { app: '1.2' })).toBe(true)
  })

  it('stringify numbers and read anything else as "0"', () => {
    expect(check({ app: { $veq: '2' } }, { app: 2 })).toBe(true)
    expect(check({ app: { $veq: '0' } }, {})).toBe(true)
    expect(check({ app: { $vgt: '0.0.1' } }, { app: null })).toBe(false)
  })
})

describe('unknown operators', () => {
  it('fail on a value', () => {
    expect(check({ name: { $regx: 'x' } } as ConditionObject, { name: 'x' })).toBe(false)
    expect(check({ age: { $or: [{ $gt: 1 }] } } as ConditionObject, { age: 5 })).toBe(false)
  })

  it('treat saved-group operators as unknown', () => {
    expect(check({ id: { $inGroup: 'g1' } }, { id: 1 })).toBe(false)
    expect(check({ id: { $notInGroup: 'g1' } }, { id: 1 })).toBe(false)
  })

  it('look up unknown "$" keys at condition level as attribute paths', () => {
    expect(check({ $groups: { $elemMatch: { $eq: 'beta' } } }, { $groups: ['beta'] })).toBe(true)
  })

  it('treat an object mixing "$" and plain keys as a literal', () => {
    expect(check({ a: { $gt: 1, b: 2 } }, { a: { $gt: 1, b: 2 } })).toBe(true)
    expect(check({ a: { $gt: 1, b: 2 } }, { a: 5 })).toBe(false)
  })
})

describe('robustness', () => {
  it('returns false for a non-object condition', () => {
    expect(evaluateConditions(null as unknown as ConditionObject, {})).toBe(false)
    expect(evaluateConditions([] as unknown as ConditionObject, {})).toBe(false)
  })

  it('survives cyclic attributes and prototype-less objects', () => {
    const cyclic: Record<string, unknown> = { name: 'x' }
    cyclic.self = cyclic
    expect(check({ self: { a: 1 } }, cyclic)).toBe(false)
    expect(check({ 'self.self.name': 'x' }, cyclic)).toBe(true)
    const bare = Object.assign(Object.create(null) as object, { a: 1 })
    expect(check({ o: 'x' }, { o: bare })).toBe(false)
    expect(check({ o: 1 }, { o: bare })).toBe(false)
  })

  it('returns false instead of overflowing the stack on absurdly deep conditions', () => {
    let deep: ConditionObject = { a: 1 }
    for (let i = 0; i < 100_000; i++) deep = { $not: deep }
    expect(typeof check(deep, { a: 1 })).toBe('boolean')
  })
})

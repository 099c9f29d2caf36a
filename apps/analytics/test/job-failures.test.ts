import { UnrecoverableError } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { asJobFailure, cappedBackoff, isPermanentFailure } from '../src/job-failures.js'

/** An error as pg reports one from PostgreSQL: its SQLSTATE in `code`. */
const pgError = (code: string, message = 'refused') => Object.assign(new Error(message), { code })

describe('isPermanentFailure', () => {
  it('is true for a malformed job, a bug, and a statement PostgreSQL refuses for its data or text', () => {
    expect(isPermanentFailure(new UnrecoverableError('malformed conversions job'))).toBe(true)
    for (const bug of [
      new TypeError('x is undefined'),
      new RangeError('Invalid array length'),
      new ReferenceError('y is not defined'),
      new SyntaxError('Unexpected token'),
    ]) {
      expect(isPermanentFailure(bug)).toBe(true)
    }
    // data exception, integrity constraint, syntax or access rule, cardinality, feature not supported, program limit
    for (const code of ['22007', '22003', '23503', '23505', '42601', '21000', '0A000', '54000']) expect(isPermanentFailure(pgError(code))).toBe(true)
  })

  it('is false for a dependency out of reach, a failure that may pass, and anything unknown', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '08006', '57P01', '57P03', '57014', '53300', '40001', '40P01', 'P0001', 'XX000']) {
      expect(isPermanentFailure(pgError(code)), code).toBe(false)
    }
    // A migration not applied yet or a grant missing: a person fixes it, the batch is kept retrying.
    for (const code of ['42P01', '42703', '42883', '42501']) expect(isPermanentFailure(pgError(code)), code).toBe(false)
    expect(isPermanentFailure(new Error('Connection terminated unexpectedly'))).toBe(false)
    expect(isPermanentFailure(new Error('Command timed out'))).toBe(false)
    expect(isPermanentFailure(new Error('something nobody foresaw'))).toBe(false)
    expect(isPermanentFailure('a string')).toBe(false)
  })
})

describe('asJobFailure', () => {
  it('turns a permanent failure into an UnrecoverableError naming the reason', () => {
    const failure = asJobFailure(pgError('22007', 'invalid input syntax for type timestamp with time zone: "x"'))
    expect(failure).toBeInstanceOf(UnrecoverableError)
    expect((failure as Error).message).toBe(
      'cannot succeed, not retried: PostgreSQL refused it (SQLSTATE 22007): invalid input syntax for type timestamp with time zone: "x"',
    )
    expect((asJobFailure(new TypeError('x is undefined')) as Error).message).toBe('cannot succeed, not retried: TypeError: x is undefined')
  })

  it('leaves any other failure, and an UnrecoverableError, as it is', () => {
    const refused = pgError('ECONNREFUSED')
    expect(asJobFailure(refused)).toBe(refused)
    const malformed = new UnrecoverableError('malformed')
    expect(asJobFailure(malformed)).toBe(malformed)
  })
})

describe('cappedBackoff', () => {
  it('doubles from the first delay and stays at the cap, however many attempts', () => {
    const backoff = cappedBackoff({ delayMs: 1000, maxDelayMs: 60_000 })
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100, 10_000].map(backoff)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000])
  })

  it('waits the cap every time when the cap is below the first delay', () => {
    expect([1, 2, 3].map(cappedBackoff({ delayMs: 500, maxDelayMs: 100 }))).toEqual([100, 100, 100])
  })
})

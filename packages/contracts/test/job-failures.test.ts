import { describe, expect, it } from 'vitest'
import { codedFailure, CONVERSION_JOB_OPTIONS, jobFailureOf } from '../src/index.js'

describe("a failed job's reason", () => {
  it('starts with the error code the gateway answers by', () => {
    const reason = codedFailure('SERVICE_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:5432')
    expect(reason).toBe('SERVICE_UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:5432')
    expect(jobFailureOf(reason)).toEqual({ code: 'SERVICE_UNAVAILABLE', message: 'connect ECONNREFUSED 127.0.0.1:5432' })
    expect(jobFailureOf(codedFailure('VALIDATION_FAILED', 'Invalid statistics input: / must be an object'))).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'Invalid statistics input: / must be an object',
    })
  })

  it('has no code when it does not start with a known one', () => {
    expect(jobFailureOf('connect ECONNREFUSED 127.0.0.1:5432')).toBeUndefined()
    expect(jobFailureOf('SOMETHING_ELSE: no')).toBeUndefined()
    expect(jobFailureOf('constructor: no')).toBeUndefined()
    expect(jobFailureOf('the SERVICE_UNAVAILABLE: inside')).toBeUndefined()
    expect(jobFailureOf('SERVICE_UNAVAILABLE')).toBeUndefined()
    expect(jobFailureOf('')).toBeUndefined()
  })
})

describe('CONVERSION_JOB_OPTIONS', () => {
  it("retries an accepted batch without a limit in practice, with the worker's capped backoff", () => {
    expect(CONVERSION_JOB_OPTIONS.attempts).toBe(Number.MAX_SAFE_INTEGER)
    expect(CONVERSION_JOB_OPTIONS.backoff).toEqual({ type: 'capped-exponential' })
  })
})

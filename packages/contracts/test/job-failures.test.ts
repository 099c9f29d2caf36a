import { describe, expect, it } from 'vitest'
import { codedFailure, CONVERSION_JOB_OPTIONS, failureCodeOf, JOB_FAILURE } from '../src/index.js'

describe('a failed job\'s reason', () => {
  it('starts with the code the gateway answers by', () => {
    const reason = codedFailure(JOB_FAILURE.serviceUnavailable, 'connect ECONNREFUSED 127.0.0.1:5432')
    expect(reason).toBe('SERVICE_UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:5432')
    expect(failureCodeOf(reason)).toBe('SERVICE_UNAVAILABLE')
    expect(failureCodeOf(codedFailure(JOB_FAILURE.invalidStatsInput, 'Invalid statistics input: / must be an object'))).toBe('INVALID_STATS_INPUT')
  })

  it('has no code when it does not start with a known one', () => {
    expect(failureCodeOf('connect ECONNREFUSED 127.0.0.1:5432')).toBeUndefined()
    expect(failureCodeOf('SOMETHING_ELSE: no')).toBeUndefined()
    expect(failureCodeOf('the SERVICE_UNAVAILABLE: inside')).toBeUndefined()
    expect(failureCodeOf('')).toBeUndefined()
  })
})

describe('CONVERSION_JOB_OPTIONS', () => {
  it('retries an accepted batch without a limit in practice, with the worker\'s capped backoff', () => {
    expect(CONVERSION_JOB_OPTIONS.attempts).toBe(Number.MAX_SAFE_INTEGER)
    expect(CONVERSION_JOB_OPTIONS.backoff).toEqual({ type: 'capped-exponential' })
  })
})

import { describe, expect, it } from 'vitest'
import { EnvError, loadEnv } from '@experiments/config'

const base = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/app',
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_SECRET: 'x'.repeat(32),
}

const problemsOf = (env: Record<string, string>) => {
  try {
    loadEnv(env)
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError)
    return (error as EnvError).problems.map((p) => p.variable)
  }
  throw new Error('expected loadEnv to throw')
}

describe('loadEnv', () => {
  it('applies the documented defaults', () => {
    const env = loadEnv(base)
    expect(env).toMatchObject({ GATEWAY_PORT: 3000, ASSIGNMENT_PORT: 3001, HOST: '127.0.0.1', LOG_LEVEL: 'info', ANALYTICS_CONCURRENCY: 64 })
  })

  it('takes an analytics concurrency of 1 to 256', () => {
    expect(loadEnv({ ...base, ANALYTICS_CONCURRENCY: '256' }).ANALYTICS_CONCURRENCY).toBe(256)
    expect(loadEnv({ ...base, ANALYTICS_CONCURRENCY: '1' }).ANALYTICS_CONCURRENCY).toBe(1)
    expect(problemsOf({ ...base, ANALYTICS_CONCURRENCY: '257' })).toEqual(['ANALYTICS_CONCURRENCY'])
    expect(problemsOf({ ...base, ANALYTICS_CONCURRENCY: '0' })).toEqual(['ANALYTICS_CONCURRENCY'])
  })

  it('takes a METRICS_TOKEN of at least 16 visible ASCII characters, and none by default', () => {
    expect(loadEnv(base).METRICS_TOKEN).toBeUndefined()
    expect(loadEnv({ ...base, METRICS_TOKEN: 'a1b2c3d4e5f6a7b8' }).METRICS_TOKEN).toBe('a1b2c3d4e5f6a7b8')
    expect(problemsOf({ ...base, METRICS_TOKEN: 'short' })).toEqual(['METRICS_TOKEN'])
    expect(problemsOf({ ...base, METRICS_TOKEN: 'a token with spaces in it' })).toEqual(['METRICS_TOKEN'])
  })

  it('bounds each Redis command of a request by 1000 ms unless REDIS_COMMAND_TIMEOUT_MS says otherwise (100–60000)', () => {
    expect(loadEnv(base).REDIS_COMMAND_TIMEOUT_MS).toBe(1000)
    expect(loadEnv({ ...base, REDIS_COMMAND_TIMEOUT_MS: '250' }).REDIS_COMMAND_TIMEOUT_MS).toBe(250)
    expect(problemsOf({ ...base, REDIS_COMMAND_TIMEOUT_MS: '99' })).toEqual(['REDIS_COMMAND_TIMEOUT_MS'])
    expect(problemsOf({ ...base, REDIS_COMMAND_TIMEOUT_MS: '60001' })).toEqual(['REDIS_COMMAND_TIMEOUT_MS'])
    expect(problemsOf({ ...base, REDIS_COMMAND_TIMEOUT_MS: '1s' })).toEqual(['REDIS_COMMAND_TIMEOUT_MS'])
  })

  it('retries a conversions job after 1000 ms, doubling up to 60000 ms, unless ANALYTICS_RETRY_DELAY_MS (1–60000) and ANALYTICS_RETRY_MAX_DELAY_MS (1–3600000) say otherwise', () => {
    expect(loadEnv(base)).toMatchObject({ ANALYTICS_RETRY_DELAY_MS: 1000, ANALYTICS_RETRY_MAX_DELAY_MS: 60_000 })
    expect(loadEnv({ ...base, ANALYTICS_RETRY_DELAY_MS: '10', ANALYTICS_RETRY_MAX_DELAY_MS: '200' })).toMatchObject({
      ANALYTICS_RETRY_DELAY_MS: 10,
      ANALYTICS_RETRY_MAX_DELAY_MS: 200,
    })
    expect(loadEnv({ ...base, ANALYTICS_RETRY_DELAY_MS: '1', ANALYTICS_RETRY_MAX_DELAY_MS: '3600000' })).toMatchObject({
      ANALYTICS_RETRY_DELAY_MS: 1,
      ANALYTICS_RETRY_MAX_DELAY_MS: 3_600_000,
    })
    expect(problemsOf({ ...base, ANALYTICS_RETRY_DELAY_MS: '0' })).toEqual(['ANALYTICS_RETRY_DELAY_MS'])
    expect(problemsOf({ ...base, ANALYTICS_RETRY_DELAY_MS: '60001' })).toEqual(['ANALYTICS_RETRY_DELAY_MS'])
    expect(problemsOf({ ...base, ANALYTICS_RETRY_MAX_DELAY_MS: '0' })).toEqual(['ANALYTICS_RETRY_MAX_DELAY_MS'])
    expect(problemsOf({ ...base, ANALYTICS_RETRY_MAX_DELAY_MS: '3600001' })).toEqual(['ANALYTICS_RETRY_MAX_DELAY_MS'])
    expect(problemsOf({ ...base, ANALYTICS_RETRY_MAX_DELAY_MS: '1m' })).toEqual(['ANALYTICS_RETRY_MAX_DELAY_MS'])
  })

  it('converts numeric strings', () => {
    expect(loadEnv({ ...base, GATEWAY_PORT: '8080' }).GATEWAY_PORT).toBe(8080)
  })

  it('names a missing variable', () => {
    expect(problemsOf({ ...base, DATABASE_URL: '' })).toEqual(['DATABASE_URL'])
  })

  it('names a bad port', () => {
    expect(problemsOf({ ...base, GATEWAY_PORT: 'eighty' })).toEqual(['GATEWAY_PORT'])
    expect(problemsOf({ ...base, ASSIGNMENT_PORT: '70000' })).toEqual(['ASSIGNMENT_PORT'])
  })

  it('rejects a JWT secret shorter than 32 bytes', () => {
    expect(problemsOf({ ...base, JWT_SECRET: 'short' })).toEqual(['JWT_SECRET'])
  })

  it('requires a JWT secret or public key', () => {
    const { JWT_SECRET: _unused, ...withoutSecret } = base
    expect(problemsOf(withoutSecret)).toEqual(['JWT_SECRET'])
  })

  it('lets a service that needs no database or no JWT key start without them', () => {
    const { JWT_SECRET: _secret, DATABASE_URL: _db, ...redisOnly } = base
    expect(loadEnv(redisOnly, { jwt: false, database: false }).REDIS_URL).toBe(base.REDIS_URL)
    expect(() => loadEnv(redisOnly, { database: true })).toThrow(/DATABASE_URL/)
    expect(() => loadEnv(redisOnly, { jwt: true })).toThrow(/JWT_SECRET/)
  })

  it('rejects an unknown log level', () => {
    expect(problemsOf({ ...base, LOG_LEVEL: 'loud' })).toEqual(['LOG_LEVEL'])
  })
})

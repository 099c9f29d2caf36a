import { describe, expect, it } from 'vitest'
import { createHttpApp } from '../src/index.js'

/** An app whose one route fails with `error`, as a route whose dependency failed does. */
const failingWith = async (error: Error) => {
  const app = await createHttpApp({ title: 'test', version: '0', bodyLimit: 1024, logLevel: 'silent' })
  app.get('/fails', async () => {
    throw error
  })
  return app
}

describe('an error that means a dependency is unavailable', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After, saying Redis did not answer in time, for a command timeout', async () => {
    // ioredis's error when a connection's commandTimeout passes.
    const app = await failingWith(new Error('Command timed out'))
    const response = await app.inject({ method: 'GET', url: '/fails', headers: { 'x-request-id': 'stall-1' } })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('1')
    expect(response.json()).toEqual({
      error: { code: 'SERVICE_UNAVAILABLE', message: 'Redis did not answer in time; retry shortly' },
      requestId: 'stall-1',
    })
    await app.close()
  })

  it('answers 503 with the general message when a dependency cannot be reached', async () => {
    const app = await failingWith(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))
    const response = await app.inject({ method: 'GET', url: '/fails' })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('1')
    expect(response.json().error).toEqual({ code: 'SERVICE_UNAVAILABLE', message: 'a backing service is unavailable; retry shortly' })
    await app.close()
  })

  it('answers 500 for an error that merely mentions a timeout', async () => {
    const app = await failingWith(new Error('Command timed out while parsing the flux capacitor'))
    const response = await app.inject({ method: 'GET', url: '/fails' })
    expect(response.statusCode).toBe(500)
    expect(response.json().error.code).toBe('INTERNAL_ERROR')
    await app.close()
  })
})

import { describe, expect, it } from 'vitest'
import { expectEnvelope } from '../../../test-support/calls.js'
import { aTenant, bearer } from '../../../test-support/tokens.js'
import type { HttpApp } from '../src/index.js'
import { anAudienceBody, anExperimentBody, minimalService, useMinimalService } from './service.js'

// What createHttpApp gives every service, on a minimal one: the error envelope for unknown routes
// and malformed URLs, JSON-only bodies read as UTF-8, request ids, and log lines.
const svc = useMinimalService()
const tenant = aTenant()

const post = (url: string, payload: string | Buffer, contentType = 'application/json', headers: Record<string, string> = {}) =>
  svc.app.inject({ method: 'POST', url, headers: { ...bearer(tenant), 'content-type': contentType, ...headers }, payload })
/** What the service's handlers stored. */
const rowCounts = async () => ({ experiments: svc.stored.experiments.length, audiences: svc.stored.audiences.length })

describe('unknown routes and malformed URLs', () => {
  it.each([
    ['GET', '/api/nope'],
    ['GET', '/api/experiments/exp_1/results/extra'],
    ['PUT', '/api/experiments'],
    ['POST', '/api/audiences/aud_1/start'],
  ] as const)('answers %s %s with 404 ROUTE_NOT_FOUND in the envelope', async (method, url) => {
    const response = await svc.app.inject({ method, url: `${url}?token=secret`, headers: bearer(tenant) })
    const body = expectEnvelope(response, 404, 'ROUTE_NOT_FOUND')
    expect(body.error.message).toBe(`no route ${method} ${url}`)
  })

  it('answers unknown routes the same without a token', async () => {
    expectEnvelope(await svc.app.inject({ method: 'GET', url: '/admin' }), 404, 'ROUTE_NOT_FOUND')
  })

  it.each([
    ['a huge path parameter', `/api/experiments/${'a'.repeat(5000)}`],
    ['a broken percent-encoding', '/api/experiments/%E0%A4%A'],
  ])('answers %s with 400 in the envelope', async (_case, url) => {
    expectEnvelope(await svc.app.inject({ method: 'GET', url, headers: bearer(tenant) }), 400, 'VALIDATION_FAILED')
  })
})

describe('request bodies', () => {
  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x'])(
    'returns 415 UNSUPPORTED_MEDIA_TYPE for content-type %s and stores nothing',
    async (contentType) => {
      const before = await rowCounts()
      expectEnvelope(await post('/api/experiments', JSON.stringify(anExperimentBody()), contentType), 415, 'UNSUPPORTED_MEDIA_TYPE')
      expectEnvelope(await post('/api/audiences', JSON.stringify(anAudienceBody()), contentType), 415, 'UNSUPPORTED_MEDIA_TYPE')
      expect(await rowCounts()).toEqual(before)
    },
  )

  it.each(['application/json; charset=utf-8', 'application/json; charset="UTF-8"', 'application/json;charset=utf8'])('accepts %s', async (contentType) => {
    expect((await post('/api/audiences', JSON.stringify(anAudienceBody()), contentType)).statusCode).toBe(201)
  })

  it.each(['application/json; charset=utf-16', 'application/json; charset=latin1'])('returns 415 for %s: JSON is read as UTF-8', async (contentType) => {
    const before = await rowCounts()
    const response = expectEnvelope(await post('/api/audiences', JSON.stringify(anAudienceBody()), contentType), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(response.error.message).toMatch(/charset/)
    expect(await rowCounts()).toEqual(before)
  })

  it.each([
    ['truncated JSON', '{"name": '],
    ['a trailing comma', '{"name": "x", "conditions": {},}'],
    ['single quotes', "{'name': 'x'}"],
    ['a __proto__ key (prototype poisoning)', '{"name": "x", "conditions": {"__proto__": {"admin": true}}}'],
    ['a constructor.prototype key', '{"name": "x", "conditions": {"constructor": {"prototype": {"admin": true}}}}'],
  ])('returns 400 INVALID_JSON for %s and stores nothing', async (_case, payload) => {
    const before = await rowCounts()
    expectEnvelope(await post('/api/audiences', payload), 400, 'INVALID_JSON')
    expect(await rowCounts()).toEqual(before)
  })

  it.each(['null', '[]', '42', '"audience"'])('returns 400 VALIDATION_FAILED for the JSON body %s', async (payload) => {
    expectEnvelope(await post('/api/audiences', payload), 400, 'VALIDATION_FAILED')
  })
})

describe('x-request-id', () => {
  const withId = (id: string | undefined, headers: Record<string, string> = {}) =>
    svc.app.inject({ method: 'GET', url: '/api/experiments', headers: { ...headers, ...(id === undefined ? {} : { 'x-request-id': id }) } })

  it('echoes a sane incoming id in the response header and the error envelope', async () => {
    const id = 'req-2025.01:abc_DEF'
    const failed = await withId(id)
    expect(failed.headers['x-request-id']).toBe(id)
    expect(expectEnvelope(failed, 401, 'UNAUTHORIZED').requestId).toBe(id)
    expect((await withId(id, bearer(tenant))).headers['x-request-id']).toBe(id)
  })

  it.each([
    ['none', undefined],
    ['an empty one', ''],
    ['one with spaces', 'a b'],
    ['one with markup', '<script>alert(1)</script>'],
    ['one of 129 characters', 'x'.repeat(129)],
  ])('generates a fresh id when the incoming one is %s', async (_case, incoming) => {
    const [first, second] = [await withId(incoming), await withId(incoming)]
    const ids = [first, second].map((r) => expectEnvelope(r, 401, 'UNAUTHORIZED').requestId)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(ids[0]).not.toBe(ids[1])
  })
})

describe('logs', () => {
  const appLoggingAt = async (logLevel: string) => (await minimalService({ logLevel })).app
  /** The lines the app's logger writes from now on. */
  const capturedLines = (app: HttpApp) => {
    const streamSymbol = Object.getOwnPropertySymbols(app.log).find((s) => s.description === 'pino.stream')!
    const stream = (app.log as unknown as Record<symbol, { write: (line: string) => void }>)[streamSymbol]!
    const lines: string[] = []
    stream.write = (line) => void lines.push(line)
    return lines
  }

  it('write the per-request lines at debug level only, so a request that succeeds costs no log line at info', async () => {
    for (const [level, expected] of [
      ['info', []],
      ['debug', ['incoming request', 'request completed']],
    ] as const) {
      const app = await appLoggingAt(level)
      try {
        const lines = capturedLines(app)
        const response = await app.inject({ method: 'GET', url: '/api/experiments', headers: bearer(tenant) })
        expect(response.statusCode).toBe(200)
        expect(lines.map((line) => JSON.parse(line) as { msg: string; level: number }).map((l) => `${l.msg} ${l.level}`)).toEqual(
          expected.map((msg) => `${msg} 20`),
        )
      } finally {
        await app.close()
      }
    }
  })

  it('never contain the bearer token, whether the request succeeds or fails', async () => {
    const app = await appLoggingAt('debug')
    try {
      const lines = capturedLines(app)
      const { authorization } = bearer(tenant)
      const signature = authorization.split('.')[2]!
      await app.inject({ method: 'GET', url: '/api/experiments', headers: { authorization, cookie: 'session=abc' } })
      await app.inject({ method: 'GET', url: '/api/experiments', headers: { authorization: `${authorization}x` } })
      await app.inject({ method: 'POST', url: '/api/audiences', headers: { authorization }, payload: '{"name": ' })
      await app.inject({ method: 'GET', url: '/api/nope', headers: { authorization } })
      expect(lines.filter((line) => line.includes('"reqId"')).length).toBeGreaterThanOrEqual(8)
      expect(lines.join('')).not.toContain(signature)
      expect(lines.join('')).not.toContain('session=abc')
    } finally {
      await app.close()
    }
  })
})

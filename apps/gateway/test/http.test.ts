import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startPrivateRedis } from '@experiments/devstack'
import { connectRedis } from '@experiments/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant, bearer, TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import { BODY_LIMIT_BYTES, buildApp } from '../src/app.js'
import { anAudienceBody, anExperimentBody, call, createExperiment, useGateway } from './helpers.js'

const gw = useGateway()
const tenant = aTenant()
type App = typeof gw.app
type Injected = Awaited<ReturnType<App['inject']>>

const post = (url: string, payload: string | Buffer, contentType = 'application/json', headers: Record<string, string> = {}) =>
  gw.app.inject({ method: 'POST', url, headers: { ...bearer(tenant), 'content-type': contentType, ...headers }, payload })
const rowCounts = async () => ({
  experiments: (await gw.db.selectFrom('experiments').select('id').where('tenant_id', '=', tenant).execute()).length,
  audiences: (await gw.db.selectFrom('audiences').select('id').where('tenant_id', '=', tenant).execute()).length,
})
/** The one error envelope, with the request id of the response header. */
const expectEnvelope = (response: Injected, status: number, code: string) => {
  expect(response.statusCode).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = response.json()
  expect(Object.keys(body).sort()).toEqual(['error', 'requestId'])
  expect(body.error).toMatchObject({ code, message: expect.any(String) })
  expect(Object.keys(body.error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true)
  expect(body.requestId).toBe(response.headers['x-request-id'])
  return body
}

describe('unknown routes and malformed URLs', () => {
  it.each([
    ['GET', '/api/nope'],
    ['GET', '/api/experiments/exp_1/results/extra'],
    ['PUT', '/api/experiments'],
    ['POST', '/api/audiences/aud_1/start'],
  ] as const)('answers %s %s with 404 ROUTE_NOT_FOUND in the envelope', async (method, url) => {
    const response = await gw.app.inject({ method, url: `${url}?token=secret`, headers: bearer(tenant) })
    const body = expectEnvelope(response, 404, 'ROUTE_NOT_FOUND')
    expect(body.error.message).toBe(`no route ${method} ${url}`)
  })

  it('answers unknown routes the same without a token', async () => {
    expectEnvelope(await gw.app.inject({ method: 'GET', url: '/admin' }), 404, 'ROUTE_NOT_FOUND')
  })

  it('treats an id of 101–128 characters as any other id (404), and a longer one as 400 naming /id', async () => {
    expectEnvelope(await gw.app.inject({ method: 'GET', url: `/api/experiments/${'a'.repeat(128)}`, headers: bearer(tenant) }), 404, 'EXPERIMENT_NOT_FOUND')
    const tooLong = expectEnvelope(await gw.app.inject({ method: 'GET', url: `/api/audiences/${'a'.repeat(129)}`, headers: bearer(tenant) }), 400, 'VALIDATION_FAILED')
    expect(tooLong.error.details[0].path).toBe('/id')
  })

  it.each([
    ['a huge path parameter', `/api/experiments/${'a'.repeat(5000)}`],
    ['a broken percent-encoding', '/api/experiments/%E0%A4%A'],
  ])('answers %s with 400 in the envelope', async (_case, url) => {
    expectEnvelope(await gw.app.inject({ method: 'GET', url, headers: bearer(tenant) }), 400, 'VALIDATION_FAILED')
  })
})

describe('request bodies', () => {
  it(`returns 413 PAYLOAD_TOO_LARGE above ${BODY_LIMIT_BYTES} bytes and stores nothing`, async () => {
    const before = await rowCounts()
    const padding = (bytes: number, body: object) => 'x'.repeat(bytes - JSON.stringify(body).length)
    const experiment = anExperimentBody({ description: '' })
    const audience = anAudienceBody({ description: '' })
    const big = (body: { description: string }) => JSON.stringify({ ...body, description: padding(BODY_LIMIT_BYTES + 1, body) })
    expect(big(experiment)).toHaveLength(BODY_LIMIT_BYTES + 1)
    expectEnvelope(await post('/api/experiments', big(experiment)), 413, 'PAYLOAD_TOO_LARGE')
    expectEnvelope(await post('/api/audiences', big(audience)), 413, 'PAYLOAD_TOO_LARGE')
    expect(await rowCounts()).toEqual(before)
  })

  it('reads a body of exactly the limit (then rejects the 1 MiB description as a field)', async () => {
    const body = anExperimentBody({ description: '' })
    const exact = JSON.stringify({ ...body, description: 'x'.repeat(BODY_LIMIT_BYTES - JSON.stringify(body).length) })
    expect(exact).toHaveLength(BODY_LIMIT_BYTES)
    const response = expectEnvelope(await post('/api/experiments', exact), 400, 'VALIDATION_FAILED')
    expect(response.error.details[0].path).toBe('/description')
  })

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

  it('treats an empty body with a JSON content type as no body: 400 where one is required, fine for a bodiless action', async () => {
    const before = await rowCounts()
    expectEnvelope(await post('/api/audiences', ''), 400, 'VALIDATION_FAILED')
    expect(await rowCounts()).toEqual(before)
    const experiment = await createExperiment(gw, tenant)
    const started = await post(`/api/experiments/${experiment.id}/start`, '')
    expect(started.statusCode).toBe(200)
  })

  it.each(['null', '[]', '42', '"audience"'])('returns 400 VALIDATION_FAILED for the JSON body %s', async (payload) => {
    expectEnvelope(await post('/api/audiences', payload), 400, 'VALIDATION_FAILED')
  })

  // PostgreSQL text and jsonb cannot hold U+0000; it must be refused as input, not fail in the database.
  it.each([
    ['a name', '/api/audiences', anAudienceBody({ name: 'a\u0000b' }), '/name'],
    ['a condition value', '/api/audiences', anAudienceBody({ conditions: { country: 'U\u0000S' } }), '/conditions/country'],
    ['a condition key', '/api/audiences', anAudienceBody({ conditions: { 'a\u0000': 1 } }), '/conditions/a\u0000'],
    ['a variant config', '/api/experiments', anExperimentBody({ variants: [{ name: 'A', splitPercentage: 50, config: { k: '\u0000' } }, { name: 'B', splitPercentage: 50 }] }), '/variants/0/config/k'],
  ])('returns 400 VALIDATION_FAILED, not 500, for a NUL character in %s', async (_case, url, body, path) => {
    const before = await rowCounts()
    const response = expectEnvelope(await post(url, JSON.stringify(body)), 400, 'VALIDATION_FAILED')
    expect(response.error.details.map((d: { path: string }) => d.path)).toContain(path)
    expect(await rowCounts()).toEqual(before)
  })

  // An unpaired surrogate is not Unicode: jsonb refuses it (a 500) and text stores it as U+FFFD, so
  // distinct names or ids would collide. A pair (an emoji) is fine.
  it.each([
    ['a variant config value', '/api/experiments', anExperimentBody({ variants: [{ name: 'A', splitPercentage: 50, config: { k: '\ud800' } }, { name: 'B', splitPercentage: 50 }] }), '/variants/0/config/k'],
    ['a variant config key', '/api/experiments', anExperimentBody({ variants: [{ name: 'A', splitPercentage: 50, config: { '\udfff': 1 } }, { name: 'B', splitPercentage: 50 }] }), '/variants/0/config/\udfff'],
    ['a variant name', '/api/experiments', anExperimentBody({ variants: [{ name: 'A\ud801', splitPercentage: 50 }, { name: 'B', splitPercentage: 50 }] }), '/variants/0/name'],
    ['a condition value', '/api/audiences', anAudienceBody({ conditions: { country: '\ud800' } }), '/conditions/country'],
  ])('returns 400 VALIDATION_FAILED, not 500, for an unpaired surrogate in %s', async (_case, url, body, path) => {
    const before = await rowCounts()
    const response = expectEnvelope(await post(url, JSON.stringify(body)), 400, 'VALIDATION_FAILED')
    expect(response.error.details.map((d: { path: string }) => d.path)).toContain(path)
    expect(response.error.message).toContain('unpaired surrogate')
    expect(await rowCounts()).toEqual(before)
  })

  it('stores a surrogate pair (an emoji), escaped in the JSON text, as sent', async () => {
    const response = await post('/api/audiences', '{"name":"\\ud83d\\ude00 fans","conditions":{"mood":"\\ud83d\\ude00"}}')
    expect(response.statusCode).toBe(201)
    expect(response.json().data).toMatchObject({ name: '😀 fans', conditions: { mood: '😀' } })
  })

  it('returns 400, not 500, for a NUL character in a path parameter', async () => {
    const response = await gw.app.inject({ method: 'GET', url: '/api/experiments/exp_%00', headers: bearer(tenant) })
    expect(expectEnvelope(response, 400, 'VALIDATION_FAILED').error.details[0].path).toBe('/id')
  })
})

describe('x-request-id', () => {
  const withId = (id: string | undefined, headers: Record<string, string> = {}) =>
    gw.app.inject({ method: 'GET', url: '/api/experiments', headers: { ...headers, ...(id === undefined ? {} : { 'x-request-id': id }) } })

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

describe('GET /health and GET /ready', () => {
  it('answers /health 200 without a token', async () => {
    const response = await gw.app.inject({ method: 'GET', url: '/health' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok' })
  })

  it('answers /ready 200 with postgres and redis ok, without a token', async () => {
    const response = await gw.app.inject({ method: 'GET', url: '/ready' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } })
  })

  describe('when Redis is unreachable', () => {
    const ctx = {} as { app: App; redis: Awaited<ReturnType<typeof connectRedis>>; dir: string }
    beforeAll(async () => {
      ctx.dir = mkdtempSync(join(tmpdir(), 'gateway-redis-down-'))
      const server = await startPrivateRedis({ dir: ctx.dir, port: await freePort(), appendOnly: false })
      ctx.redis = await connectRedis(server.url)
      await server.stop()
      ctx.app = await buildApp({ db: gw.db, redis: ctx.redis, blockingRedis: gw.blockingRedis, auth: { jwtSecret: TEST_JWT_SECRET }, logLevel: 'silent' })
    })
    afterAll(async () => {
      await ctx.app?.close()
      ctx.redis?.disconnect()
      rmSync(ctx.dir, { recursive: true, force: true })
    })

    it('answers /ready 503 at once, naming the failing check', async () => {
      const started = Date.now()
      const response = await ctx.app.inject({ method: 'GET', url: '/ready' })
      // Fails fast: well under the 2 s per-check timeout that guards against a hang.
      expect(Date.now() - started).toBeLessThan(1500)
      expect(response.statusCode).toBe(503)
      const body = response.json()
      expect(body.status).toBe('unavailable')
      expect(body.checks.postgres).toBe('ok')
      expect(body.checks.redis).toEqual(expect.stringMatching(/\w/))
      expect(body.checks.redis).not.toBe('ok')
    })

    it('answers API calls that need Redis with 503 SERVICE_UNAVAILABLE and Retry-After, changing nothing', async () => {
      const exp = await createExperiment(gw, tenant)
      const response = await ctx.app.inject({ method: 'POST', url: `/api/experiments/${exp.id}/start`, headers: bearer(tenant) })
      expectEnvelope(response, 503, 'SERVICE_UNAVAILABLE')
      expect(response.headers['retry-after']).toBe('1')
      expect((await call(gw, 'GET', `/api/experiments/${exp.id}`, tenant)).body.data.status).toBe('draft')
    })
  })
})

describe('OpenAPI', () => {
  /** METHOD /path pairs from printRoutes' tree, in OpenAPI's path syntax, without HEAD and /docs. */
  const registeredOperations = (app: App) => {
    const operations = new Set<string>()
    const stack: string[] = []
    for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
      const match = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([^)]*)\))?$/u.exec(line)
      if (!match) continue
      stack.length = match[1]!.length / 4
      stack.push(match[2]!)
      const path = stack.join('').replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1')
      for (const method of match[3]?.split(', ') ?? []) {
        if (method !== 'HEAD' && !path.startsWith('/docs')) operations.add(`${method} ${path}`)
      }
    }
    return [...operations].sort()
  }

  it('documents every registered route, at its contract path, in OpenAPI 3.1', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(doc.openapi).toBe('3.1.0')
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(documented.sort()).toEqual(registeredOperations(gw.app))
    expect(documented).toContain('GET /api/experiments')
    expect(documented).toContain('DELETE /api/audiences/{id}')
  })

  it('declares bearerAuth, required on /api routes and not on /health or /ready', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown }>>)) {
      for (const op of Object.values(ops)) {
        const security = op.security ?? doc.security
        expect(security, path).toEqual(path.startsWith('/api/') ? [{ bearerAuth: [] }] : [])
      }
    }
  })

  it('serves Swagger UI at /docs', async () => {
    const response = await gw.app.inject({ method: 'GET', url: '/docs' })
    if (response.statusCode === 302) expect(response.headers.location).toMatch(/docs/)
    else {
      expect(response.statusCode).toBe(200)
      expect(response.body).toContain('swagger')
    }
  })
})

describe('logs', () => {
  const appLoggingAt = (logLevel: string) =>
    buildApp({ db: gw.db, redis: gw.redis, blockingRedis: gw.blockingRedis, auth: { jwtSecret: TEST_JWT_SECRET }, logLevel })
  /** The lines the app's logger writes from now on. */
  const capturedLines = (app: Awaited<ReturnType<typeof buildApp>>) => {
    const streamSymbol = Object.getOwnPropertySymbols(app.log).find((s) => s.description === 'pino.stream')!
    const stream = (app.log as unknown as Record<symbol, { write: (line: string) => void }>)[streamSymbol]!
    const lines: string[] = []
    stream.write = (line) => void lines.push(line)
    return lines
  }

  it('write the per-request lines at debug level only, so a request that succeeds costs no log line at info', async () => {
    for (const [level, expected] of [['info', []], ['debug', ['incoming request', 'request completed']]] as const) {
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

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startPrivateRedis } from '@experiments/devstack'
import { connectRedis } from '@experiments/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelope } from '../../../test-support/calls.js'
import { operationsOf, type OpenApiDocument } from '../../../test-support/openapi.js'
import { aTenant, bearer, TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import { BODY_LIMIT_BYTES, buildApp } from '../src/app.js'
import { anAudienceBody, anExperimentBody, call, createExperiment, useGateway } from './helpers.js'

const gw = useGateway()
const tenant = aTenant()
type App = typeof gw.app

const post = (url: string, payload: string | Buffer, contentType = 'application/json', headers: Record<string, string> = {}) =>
  gw.app.inject({ method: 'POST', url, headers: { ...bearer(tenant), 'content-type': contentType, ...headers }, payload })
const rowCounts = async () => ({
  experiments: (await gw.db.selectFrom('experiments').select('id').where('tenant_id', '=', tenant).execute()).length,
  audiences: (await gw.db.selectFrom('audiences').select('id').where('tenant_id', '=', tenant).execute()).length,
})

describe('ids in the path', () => {
  it('treats an id of 101–128 characters as any other id (404), and a longer one as 400 naming /id', async () => {
    expectEnvelope(await gw.app.inject({ method: 'GET', url: `/api/experiments/${'a'.repeat(128)}`, headers: bearer(tenant) }), 404, 'EXPERIMENT_NOT_FOUND')
    const tooLong = expectEnvelope(
      await gw.app.inject({ method: 'GET', url: `/api/audiences/${'a'.repeat(129)}`, headers: bearer(tenant) }),
      400,
      'VALIDATION_FAILED',
    )
    expect(tooLong.error.details[0].path).toBe('/id')
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

  it('treats an empty body with a JSON content type as no body: 400 where one is required, fine for a bodiless action', async () => {
    const before = await rowCounts()
    expectEnvelope(await post('/api/audiences', ''), 400, 'VALIDATION_FAILED')
    expect(await rowCounts()).toEqual(before)
    const experiment = await createExperiment(gw, tenant)
    const started = await post(`/api/experiments/${experiment.id}/start`, '')
    expect(started.statusCode).toBe(200)
  })

  // PostgreSQL text and jsonb cannot hold U+0000; it must be refused as input, not fail in the database.
  it.each([
    ['a name', '/api/audiences', anAudienceBody({ name: 'a\u0000b' }), '/name'],
    ['a condition value', '/api/audiences', anAudienceBody({ conditions: { country: 'U\u0000S' } }), '/conditions/country'],
    ['a condition key', '/api/audiences', anAudienceBody({ conditions: { 'a\u0000': 1 } }), '/conditions/a\u0000'],
    [
      'a variant config',
      '/api/experiments',
      anExperimentBody({
        variants: [
          { name: 'A', splitPercentage: 50, config: { k: '\u0000' } },
          { name: 'B', splitPercentage: 50 },
        ],
      }),
      '/variants/0/config/k',
    ],
  ])('returns 400 VALIDATION_FAILED, not 500, for a NUL character in %s', async (_case, url, body, path) => {
    const before = await rowCounts()
    const response = expectEnvelope(await post(url, JSON.stringify(body)), 400, 'VALIDATION_FAILED')
    expect(response.error.details.map((d: { path: string }) => d.path)).toContain(path)
    expect(await rowCounts()).toEqual(before)
  })

  // An unpaired surrogate is not Unicode: jsonb refuses it (a 500) and text stores it as U+FFFD, so
  // distinct names or ids would collide. A pair (an emoji) is fine.
  it.each([
    [
      'a variant config value',
      '/api/experiments',
      anExperimentBody({
        variants: [
          { name: 'A', splitPercentage: 50, config: { k: '\ud800' } },
          { name: 'B', splitPercentage: 50 },
        ],
      }),
      '/variants/0/config/k',
    ],
    [
      'a variant config key',
      '/api/experiments',
      anExperimentBody({
        variants: [
          { name: 'A', splitPercentage: 50, config: { '\udfff': 1 } },
          { name: 'B', splitPercentage: 50 },
        ],
      }),
      '/variants/0/config/\udfff',
    ],
    [
      'a variant name',
      '/api/experiments',
      anExperimentBody({
        variants: [
          { name: 'A\ud801', splitPercentage: 50 },
          { name: 'B', splitPercentage: 50 },
        ],
      }),
      '/variants/0/name',
    ],
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
  /** METHOD /path pairs from printRoutes' tree, in OpenAPI's path syntax, without HEAD and the routes hidden from the docs (/docs, /admin/queues, /metrics). */
  const registeredOperations = (app: App) => {
    const operations = new Set<string>()
    const stack: string[] = []
    for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
      const match = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([^)]*)\))?$/u.exec(line)
      if (!match) continue
      stack.length = match[1]!.length / 4
      stack.push(match[2]!)
      const path = stack
        .join('')
        .replace(/:(\w+)/g, '{$1}')
        .replace(/(.)\/$/, '$1')
      for (const method of match[3]?.split(', ') ?? []) {
        if (method !== 'HEAD' && !path.startsWith('/docs') && !path.startsWith('/admin/queues') && path !== '/metrics') operations.add(`${method} ${path}`)
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

  /** The scope each operation needs (README, "API"); null: no token. */
  const scopes: Record<string, string | null> = {
    'GET /health': null,
    'GET /ready': null,
    'GET /api/experiments': 'experiments:read',
    'POST /api/experiments': 'experiments:write',
    'GET /api/experiments/{id}': 'experiments:read',
    'PATCH /api/experiments/{id}': 'experiments:write',
    'DELETE /api/experiments/{id}': 'experiments:write',
    'POST /api/experiments/{id}/start': 'experiments:write',
    'POST /api/experiments/{id}/stop': 'experiments:write',
    'POST /api/experiments/{id}/complete': 'experiments:write',
    'GET /api/audiences': 'experiments:read',
    'POST /api/audiences': 'experiments:write',
    'GET /api/audiences/{id}': 'experiments:read',
    'PATCH /api/audiences/{id}': 'experiments:write',
    'DELETE /api/audiences/{id}': 'experiments:write',
    'GET /api/sdk-connections': 'experiments:read',
    'POST /api/sdk-connections': 'experiments:write',
    'DELETE /api/sdk-connections/{id}': 'experiments:write',
    'POST /api/conversions': 'events:write',
    'POST /api/experiments/{id}/conversions': 'events:write',
    'GET /api/experiments/{id}/results': 'experiments:read',
    'POST /api/experiments/{id}/compute-results': 'experiments:read',
    'GET /api/experiments/{id}/snapshots': 'experiments:read',
  }

  it('declares bearerAuth; every /api operation names the scope it needs, /health and /ready need no token', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument
    expect(doc.components?.securitySchemes?.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    const operations = operationsOf(doc)
    expect(operations.map((o) => o.name).sort()).toEqual(Object.keys(scopes).sort())
    for (const { name, operation } of operations) {
      const scope = scopes[name]
      if (scope === null) {
        expect(operation.security, name).toEqual([])
      } else {
        expect(operation.security, name).toEqual([{ bearerAuth: [scope] }])
        expect(operation.description, name).toContain(`scope \`${scope}\``)
      }
    }
  })

  it('gives every operation a summary', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument
    for (const { name, operation } of operationsOf(doc)) expect(operation.summary, name).toMatch(/^[A-Z].{9,}/)
  })

  it('documents no request body for start, stop and complete (they take none), and the bodies the others need', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument
    for (const action of ['start', 'stop', 'complete']) {
      const operation = doc.paths[`/api/experiments/{id}/${action}`]!.post!
      expect(operation.requestBody, action).toBeUndefined()
      expect(operation.summary, action).toMatch(new RegExp(`^${action}`, 'i'))
    }
    expect(doc.paths['/api/experiments']!.post!.requestBody?.required).toBe(true)
    expect(doc.paths['/api/conversions']!.post!.requestBody?.required).toBe(true)
  })

  it('a lifecycle action still refuses a body with fields, and takes none or {}', async () => {
    const exp = await createExperiment(gw, tenant)
    const withField = await post(`/api/experiments/${exp.id}/start`, '{"force":true}')
    expect(withField.statusCode).toBe(400)
    expect(withField.json().error.details).toEqual([expect.objectContaining({ path: '/force', message: 'unknown field "force"' })])
    expect((await post(`/api/experiments/${exp.id}/start`, '{}')).statusCode).toBe(200)
    expect((await gw.app.inject({ method: 'POST', url: `/api/experiments/${exp.id}/stop`, headers: bearer(tenant) })).statusCode).toBe(200)
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

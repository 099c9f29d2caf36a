import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listWith } from '../../../test-support/calls.js'
import { aTenant, bearer, claimsFor, hs256, jwt, pem, rs256, TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import { buildApp } from '../src/app.js'
import { anAudienceBody, anExperimentBody, call, createAudience, createExperiment, useGateway } from './helpers.js'

// The gateway's routes behind the auth plugin (packages/http/test/auth.test.ts tests the plugin):
// what a token lets through, scope by route, and tenant by tenant.
const gw = useGateway()
const tenant = aTenant()
const claims = claimsFor(tenant)

describe('bearer token (HS256 with JWT_SECRET)', () => {
  it('accepts a valid HS256 token and scopes the answer to its tenant', async () => {
    const exp = await createExperiment(gw, tenant)
    const response = await listWith(gw.app, `Bearer ${hs256(claims())}`)
    expect(response.statusCode).toBe(200)
    expect(response.json().data.map((e: { id: string }) => e.id)).toEqual([exp.id])
  })

  it('checks the token before the body: an unauthenticated create stores nothing and is 401, not 400', async () => {
    const other = aTenant()
    const forged = `Bearer ${jwt('none', claims({ tenantId: other }), null)}`
    for (const payload of [anExperimentBody(), { bogus: true }]) {
      const response = await gw.app.inject({ method: 'POST', url: '/api/experiments', headers: { authorization: forged }, payload })
      expect(response.statusCode).toBe(401)
    }
    const rows = await gw.db.selectFrom('experiments').select('id').where('tenant_id', '=', other).execute()
    expect(rows).toEqual([])
  })
})

describe('bearer token with JWT_PUBLIC_KEY (RS256)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const apps = {} as Record<'rsa', typeof gw.app>

  beforeAll(async () => {
    const build = (jwtPublicKey: string) =>
      buildApp({ db: gw.db, redis: gw.redis, blockingRedis: gw.blockingRedis, auth: { jwtSecret: TEST_JWT_SECRET, jwtPublicKey }, logLevel: 'silent' })
    apps.rsa = await build(pem(rsa.publicKey))
  })
  afterAll(async () => {
    await apps.rsa?.close()
  })

  it('accepts an RS256 token signed with the private key', async () => {
    const exp = await createExperiment(gw, tenant, { name: 'seen through RS256' })
    const response = await listWith(apps.rsa, `Bearer ${jwt('RS256', claims(), rs256(rsa.privateKey))}`)
    expect(response.statusCode).toBe(200)
    expect(response.json().data.map((e: { id: string }) => e.id)).toContain(exp.id)
  })
})

describe('scopes', () => {
  type Route = [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body: object | undefined, needs: string]
  const routes: Route[] = [
    ['GET', '/api/experiments', undefined, 'experiments:read'],
    ['GET', '/api/experiments/{exp}', undefined, 'experiments:read'],
    ['POST', '/api/experiments', anExperimentBody(), 'experiments:write'],
    ['PATCH', '/api/experiments/{exp}', { name: 'renamed' }, 'experiments:write'],
    ['DELETE', '/api/experiments/{exp}', undefined, 'experiments:write'],
    ['POST', '/api/experiments/{exp}/start', undefined, 'experiments:write'],
    ['POST', '/api/experiments/{exp}/stop', undefined, 'experiments:write'],
    ['POST', '/api/experiments/{exp}/complete', undefined, 'experiments:write'],
    ['GET', '/api/audiences', undefined, 'experiments:read'],
    ['GET', '/api/audiences/{aud}', undefined, 'experiments:read'],
    ['POST', '/api/audiences', anAudienceBody(), 'experiments:write'],
    ['PATCH', '/api/audiences/{aud}', { name: 'renamed' }, 'experiments:write'],
    ['DELETE', '/api/audiences/{aud}', undefined, 'experiments:write'],
  ]
  // experiments:write does not imply experiments:read: a deploy pipeline may manage experiments
  // without reading them back, and each scope grants exactly the routes listed with it (admin, the
  // operators' queue dashboard, grants none of them).
  const cases = ['experiments:read', 'experiments:write', 'assignments:write', 'events:write', 'admin', ''].flatMap((scope) =>
    routes.map(([method, path, body, needs]) => ({ scope, method, path, body, outcome: needs === scope ? 'allowed' : '403' })),
  )

  const fixtures = async () => {
    const aud = await createAudience(gw, tenant)
    const exp = await createExperiment(gw, tenant, { audienceId: aud.id })
    return { exp, aud, url: (path: string) => path.replace('{exp}', exp.id).replace('{aud}', aud.id) }
  }
  const snapshot = async (expId: string, audId: string) => [
    (await call(gw, 'GET', `/api/experiments/${expId}`, tenant)).body,
    (await call(gw, 'GET', `/api/audiences/${audId}`, tenant)).body,
    (await gw.db.selectFrom('experiments').select('id').where('tenant_id', '=', tenant).execute()).length,
    (await gw.db.selectFrom('audiences').select('id').where('tenant_id', '=', tenant).execute()).length,
  ]

  it.each(cases)('scope $scope: $method $path → $outcome', async ({ scope, method, path, body, outcome }) => {
    const { exp, aud, url } = await fixtures()
    const before = await snapshot(exp.id, aud.id)
    const response = await call(gw, method, url(path), tenant, body, scope)
    if (outcome === 'allowed') {
      // Past auth; the action itself may still be refused (stopping a draft is 409).
      expect([200, 201, 204, 409]).toContain(response.status)
      return
    }
    expect(response.status).toBe(403)
    expect(response.body.error.code).toBe('FORBIDDEN')
    expect(response.body.error.message).toContain(routes.find((r) => r[1] === path && r[0] === method)![3])
    expect(await snapshot(exp.id, aud.id)).toEqual(before)
  })
})

describe('tenancy', () => {
  const owner = aTenant()
  const intruder = aTenant()
  type Target = [method: 'GET' | 'PATCH' | 'DELETE' | 'POST', suffix: string, body?: object]
  const experimentTargets: Target[] = [
    ['GET', ''],
    ['PATCH', '', { name: 'hijacked' }],
    ['DELETE', ''],
    ['POST', '/start'],
    ['POST', '/stop'],
    ['POST', '/complete'],
  ]
  const audienceTargets: Target[] = [
    ['GET', ''],
    ['PATCH', '', { conditions: { country: 'XX' } }],
    ['DELETE', ''],
  ]

  it.each(experimentTargets)("returns 404 EXPERIMENT_NOT_FOUND for another tenant's experiment: %s …%s", async (method, suffix, body) => {
    const draft = await createExperiment(gw, owner)
    const running = await createExperiment(gw, owner)
    await call(gw, 'POST', `/api/experiments/${running.id}/start`, owner)
    for (const exp of [draft, running]) {
      const before = (await call(gw, 'GET', `/api/experiments/${exp.id}`, owner)).body
      const response = await call(gw, method, `/api/experiments/${exp.id}${suffix}`, intruder, body)
      expect(response.status).toBe(404)
      // Exactly what an id that never existed gets: nothing tells the intruder the id is taken.
      const missing = await call(gw, method, `/api/experiments/exp_doesnotexist${suffix}`, intruder, body)
      expect(response.body.error).toEqual({ ...missing.body.error, message: missing.body.error.message.replace('exp_doesnotexist', exp.id) })
      expect(response.body.error.code).toBe('EXPERIMENT_NOT_FOUND')
      expect((await call(gw, 'GET', `/api/experiments/${exp.id}`, owner)).body).toEqual(before)
    }
  })

  it.each(audienceTargets)("returns 404 AUDIENCE_NOT_FOUND for another tenant's audience: %s", async (method, _suffix, body) => {
    const aud = await createAudience(gw, owner)
    const response = await call(gw, method, `/api/audiences/${aud.id}`, intruder, body)
    expect(response.status).toBe(404)
    expect(response.body.error).toEqual({ code: 'AUDIENCE_NOT_FOUND', message: `audience ${aud.id} does not exist` })
    expect((await call(gw, 'GET', `/api/audiences/${aud.id}`, owner)).body.data).toEqual(aud)
  })

  it("never lists another tenant's experiments or audiences", async () => {
    await createExperiment(gw, owner)
    await createAudience(gw, owner)
    for (const url of ['/api/experiments', '/api/audiences']) {
      const { status, body } = await call(gw, 'GET', url, intruder)
      expect(status).toBe(200)
      expect(body).toEqual({ data: [], meta: { total: 0, page: 1, limit: 20, totalPages: 0 } })
    }
  })

  it('keys every read on the token tenant, not on anything in the request', async () => {
    const exp = await createExperiment(gw, owner)
    const response = await gw.app.inject({
      method: 'GET',
      url: `/api/experiments/${exp.id}?tenantId=${owner}`,
      headers: { ...bearer(intruder), 'x-tenant-id': owner },
    })
    expect(response.statusCode).toBeGreaterThanOrEqual(400)
    expect(response.statusCode).toBeLessThan(500)
    expect(response.body).not.toContain('Onboarding Flow Test')
  })
})

import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { ALL_SCOPES } from '@experiments/devstack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant, bearer, TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import { buildApp } from '../src/app.js'
import { anAudienceBody, anExperimentBody, call, createAudience, createExperiment, useGateway } from './helpers.js'

const gw = useGateway()
const tenant = aTenant()

// ---- hand-made tokens: every field under the test's control ----
type Signer = (input: string) => string
const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
const hs = (secret: string | Buffer, bits = 256): Signer => (input) => createHmac(`sha${bits}`, secret).update(input).digest('base64url')
const rs256 = (key: KeyObject): Signer => (input) => sign('sha256', Buffer.from(input), key).toString('base64url')
const es256 = (key: KeyObject): Signer => (input) =>
  sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
const jwt = (alg: string, payload: object, signer: Signer | null) => {
  const input = `${part({ alg, typ: 'JWT' })}.${part(payload)}`
  return `${input}.${signer ? signer(input) : ''}`
}
const seconds = () => Math.floor(Date.now() / 1000)
/** Valid claims for `tenant`; an override of `undefined` removes the claim. */
const claims = (overrides: Record<string, unknown> = {}) => ({
  tenantId: tenant,
  sub: 'user_42',
  scope: ALL_SCOPES,
  iat: seconds(),
  exp: seconds() + 3600,
  ...overrides,
})
const hs256 = (payload: object) => jwt('HS256', payload, hs(TEST_JWT_SECRET))

const listWith = (app: typeof gw.app, authorization?: string) =>
  app.inject({ method: 'GET', url: '/api/experiments', headers: authorization === undefined ? {} : { authorization } })

const expectUnauthorized = (response: Awaited<ReturnType<typeof listWith>>) => {
  expect(response.statusCode).toBe(401)
  const body = response.json()
  expect(body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) }, requestId: response.headers['x-request-id'] })
}

describe('verified-token cache', () => {
  it('stops accepting a token at its exp even after it was accepted (and cached) before', async () => {
    const exp = seconds() + 4
    const token = `Bearer ${hs256(claims({ exp }))}`
    expect((await listWith(gw.app, token)).statusCode).toBe(200)
    expect((await listWith(gw.app, token)).statusCode).toBe(200)
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 100))
    expectUnauthorized(await listWith(gw.app, token))
  })

  it('does not let a cached token stand in for a tampered copy', async () => {
    const token = hs256(claims())
    expect((await listWith(gw.app, `Bearer ${token}`)).statusCode).toBe(200)
    const [header, , signature] = token.split('.')
    expectUnauthorized(await listWith(gw.app, `Bearer ${header}.${part(claims({ tenantId: 'someone-else' }))}.${signature}`))
  })
})

describe('bearer token (HS256 with JWT_SECRET)', () => {
  it('accepts a valid HS256 token and scopes the answer to its tenant', async () => {
    const exp = await createExperiment(gw, tenant)
    const response = await listWith(gw.app, `Bearer ${hs256(claims())}`)
    expect(response.statusCode).toBe(200)
    expect(response.json().data.map((e: { id: string }) => e.id)).toEqual([exp.id])
  })

  it('returns 401 UNAUTHORIZED without an Authorization header', async () => {
    expectUnauthorized(await listWith(gw.app))
  })

  const valid = () => hs256(claims())
  const attacks: [string, () => string][] = [
    ['alg "none" (unsigned)', () => `Bearer ${jwt('none', claims(), null)}`],
    ['alg "none" carrying a valid HS256 signature', () => `Bearer ${jwt('none', claims(), hs(TEST_JWT_SECRET))}`],
    ['a token signed with another secret', () => `Bearer ${jwt('HS256', claims(), hs('another-secret-that-is-at-least-32-bytes'))}`],
    ['HS512 with the right secret (not on the allow-list)', () => `Bearer ${jwt('HS512', claims(), hs(TEST_JWT_SECRET, 512))}`],
    ['an expired token', () => `Bearer ${hs256(claims({ iat: seconds() - 7200, exp: seconds() - 60 }))}`],
    ['a token without exp', () => `Bearer ${hs256(claims({ exp: undefined }))}`],
    ['a token not valid before a future nbf', () => `Bearer ${hs256(claims({ nbf: seconds() + 600 }))}`],
    ['a token without tenantId', () => `Bearer ${hs256(claims({ tenantId: undefined }))}`],
    ['an empty tenantId', () => `Bearer ${hs256(claims({ tenantId: '' }))}`],
    ['a numeric tenantId', () => `Bearer ${hs256(claims({ tenantId: 42 }))}`],
    ['a tenantId of 129 characters', () => `Bearer ${hs256(claims({ tenantId: 't'.repeat(129) }))}`],
    ['a tenantId holding U+0000', () => `Bearer ${hs256(claims({ tenantId: 'a\u0000b' }))}`],
    ['a tenantId with an unpaired surrogate', () => `Bearer ${hs256(claims({ tenantId: 'a\ud800' }))}`],
    ['a malformed token', () => 'Bearer not-a-jwt'],
    ['a token with two parts', () => `Bearer ${valid().split('.').slice(0, 2).join('.')}`],
    ['an empty bearer', () => 'Bearer '],
    ['the Basic scheme', () => `Basic ${Buffer.from('admin:admin').toString('base64')}`],
    ['a valid token under the Basic scheme', () => `Basic ${valid()}`],
    ['a valid token without a scheme', () => valid()],
    [
      'a tampered payload (another tenant, original signature)',
      () => {
        const [header, , signature] = valid().split('.')
        return `Bearer ${header}.${part(claims({ tenantId: aTenant() }))}.${signature}`
      },
    ],
  ]
  it.each(attacks)('returns 401 UNAUTHORIZED for %s', async (_name, authorization) => {
    expectUnauthorized(await listWith(gw.app, authorization()))
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

describe('bearer token with JWT_PUBLIC_KEY (RS256 / ES256)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString()
  const apps = {} as Record<'rsa' | 'ec', typeof gw.app>

  beforeAll(async () => {
    const build = (jwtPublicKey: string) =>
      // A configured JWT_SECRET as well: the public key must replace it, not add HS256 to the allow-list.
      buildApp({ db: gw.db, redis: gw.redis, blockingRedis: gw.blockingRedis, auth: { jwtSecret: TEST_JWT_SECRET, jwtPublicKey }, logLevel: 'silent' })
    apps.rsa = await build(pem(rsa.publicKey))
    apps.ec = await build(pem(ec.publicKey))
  })
  afterAll(async () => {
    await apps.rsa?.close()
    await apps.ec?.close()
  })

  it('accepts an RS256 token signed with the private key', async () => {
    const exp = await createExperiment(gw, tenant, { name: 'seen through RS256' })
    const response = await listWith(apps.rsa, `Bearer ${jwt('RS256', claims(), rs256(rsa.privateKey))}`)
    expect(response.statusCode).toBe(200)
    expect(response.json().data.map((e: { id: string }) => e.id)).toContain(exp.id)
  })

  it('accepts an ES256 token signed with the private key', async () => {
    const response = await listWith(apps.ec, `Bearer ${jwt('ES256', claims(), es256(ec.privateKey))}`)
    expect(response.statusCode).toBe(200)
  })

  const refused: [string, 'rsa' | 'ec', () => string][] = [
    ['HS256 signed with the RSA public key PEM as HMAC secret (algorithm confusion)', 'rsa', () => jwt('HS256', claims(), hs(pem(rsa.publicKey)))],
    ['HS256 signed with the EC public key PEM as HMAC secret (algorithm confusion)', 'ec', () => jwt('HS256', claims(), hs(pem(ec.publicKey)))],
    ['HS256 signed with JWT_SECRET once a public key is configured', 'rsa', () => hs256(claims())],
    ['RS256 signed with another RSA key', 'rsa', () => jwt('RS256', claims(), rs256(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey))],
    ['ES256 signed with another P-256 key', 'ec', () => jwt('ES256', claims(), es256(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey))],
    ['ES256 presented to the RS256 app', 'rsa', () => jwt('ES256', claims(), es256(ec.privateKey))],
    ['alg "none"', 'rsa', () => jwt('none', claims(), null)],
    ['RS256 without exp', 'rsa', () => jwt('RS256', claims({ exp: undefined }), rs256(rsa.privateKey))],
    ['expired ES256', 'ec', () => jwt('ES256', claims({ exp: seconds() - 60 }), es256(ec.privateKey))],
  ]
  it.each(refused)('returns 401 UNAUTHORIZED for %s', async (_name, which, token) => {
    expectUnauthorized(await listWith(apps[which], `Bearer ${token()}`))
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
  // without reading them back, and each scope grants exactly the routes listed with it.
  const cases = ['experiments:read', 'experiments:write', 'assignments:write', 'events:write', ''].flatMap((scope) =>
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

  it('grants nothing to look-alike scopes ("experiments:reader", "experiments")', async () => {
    const response = await call(gw, 'GET', '/api/experiments', tenant, undefined, 'experiments:reader experiments')
    expect(response.status).toBe(403)
  })

  it('splits the scope claim on any run of spaces', async () => {
    const response = await call(gw, 'GET', '/api/experiments', tenant, undefined, '  events:write   experiments:read ')
    expect(response.status).toBe(200)
  })

  it('answers 401, not 403, when a scope-less token is also invalid', async () => {
    const response = await listWith(gw.app, `Bearer ${jwt('HS256', claims({ scope: undefined }), hs('wrong-secret-wrong-secret-wrong-secret'))}`)
    expect(response.statusCode).toBe(401)
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
  const audienceTargets: Target[] = [['GET', ''], ['PATCH', '', { conditions: { country: 'XX' } }], ['DELETE', '']]

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

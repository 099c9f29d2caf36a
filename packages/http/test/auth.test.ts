import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, listWith } from '../../../test-support/calls.js'
import { aTenant, claimsFor, es256, hs, hs256, jwt, part, pem, rs256, seconds, TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import type { HttpApp } from '../src/index.js'
import { minimalService, useMinimalService } from './service.js'

// The auth plugin on a minimal service: which bearer tokens it takes, with a secret or a public key,
// and how it reads their scopes.
const svc = useMinimalService()
const tenant = aTenant()
const claims = claimsFor(tenant)

const expectUnauthorized = (response: Awaited<ReturnType<typeof listWith>>) => {
  expect(response.statusCode).toBe(401)
  const body = response.json()
  expect(body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) }, requestId: response.headers['x-request-id'] })
}

describe('verified-token cache', () => {
  it('stops accepting a token at its exp even after it was accepted (and cached) before', async () => {
    const exp = seconds() + 4
    const token = `Bearer ${hs256(claims({ exp }))}`
    expect((await listWith(svc.app, token)).statusCode).toBe(200)
    expect((await listWith(svc.app, token)).statusCode).toBe(200)
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 100))
    expectUnauthorized(await listWith(svc.app, token))
  })

  it('does not let a cached token stand in for a tampered copy', async () => {
    const token = hs256(claims())
    expect((await listWith(svc.app, `Bearer ${token}`)).statusCode).toBe(200)
    const [header, , signature] = token.split('.')
    expectUnauthorized(await listWith(svc.app, `Bearer ${header}.${part(claims({ tenantId: 'someone-else' }))}.${signature}`))
  })
})

describe('bearer token (HS256 with JWT_SECRET)', () => {
  it('returns 401 UNAUTHORIZED without an Authorization header', async () => {
    expectUnauthorized(await listWith(svc.app))
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
    expectUnauthorized(await listWith(svc.app, authorization()))
  })
})

describe('bearer token with JWT_PUBLIC_KEY (RS256 / ES256)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const apps = {} as Record<'rsa' | 'ec', HttpApp>

  beforeAll(async () => {
    const build = async (jwtPublicKey: string) =>
      // A configured JWT_SECRET as well: the public key must replace it, not add HS256 to the allow-list.
      (await minimalService({ auth: { jwtSecret: TEST_JWT_SECRET, jwtPublicKey } })).app
    apps.rsa = await build(pem(rsa.publicKey))
    apps.ec = await build(pem(ec.publicKey))
  })
  afterAll(async () => {
    await apps.rsa?.close()
    await apps.ec?.close()
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
  it('grants nothing to look-alike scopes ("experiments:reader", "experiments")', async () => {
    const response = await call(svc, 'GET', '/api/experiments', tenant, undefined, 'experiments:reader experiments')
    expect(response.status).toBe(403)
  })

  it('splits the scope claim on any run of spaces', async () => {
    const response = await call(svc, 'GET', '/api/experiments', tenant, undefined, '  events:write   experiments:read ')
    expect(response.status).toBe(200)
  })

  it('answers 401, not 403, when a scope-less token is also invalid', async () => {
    const response = await listWith(svc.app, `Bearer ${jwt('HS256', claims({ scope: undefined }), hs('wrong-secret-wrong-secret-wrong-secret'))}`)
    expect(response.statusCode).toBe(401)
  })
})

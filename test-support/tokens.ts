import { createHmac, randomBytes, sign, type KeyObject } from 'node:crypto'
import { ALL_SCOPES, signToken } from '@experiments/devstack'

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long'

/** A random tenant id, so test files never see each other's data. */
export const aTenant = () => `tenant_${randomBytes(4).toString('hex')}`

/** A bearer header for `tenantId` with `scope` (all scopes unless named). */
export const bearer = (tenantId: string, scope: string = ALL_SCOPES, ttlSeconds = 3600) => ({
  authorization: `Bearer ${signToken(TEST_JWT_SECRET, { tenantId, scope, ttlSeconds })}`,
})

// ---- hand-made tokens: every field under the test's control ----
export type Signer = (input: string) => string
export const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
export const hs =
  (secret: string | Buffer, bits = 256): Signer =>
  (input) =>
    createHmac(`sha${bits}`, secret).update(input).digest('base64url')
export const rs256 =
  (key: KeyObject): Signer =>
  (input) =>
    sign('sha256', Buffer.from(input), key).toString('base64url')
export const es256 =
  (key: KeyObject): Signer =>
  (input) =>
    sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
export const jwt = (alg: string, payload: object, signer: Signer | null) => {
  const input = `${part({ alg, typ: 'JWT' })}.${part(payload)}`
  return `${input}.${signer ? signer(input) : ''}`
}
export const seconds = () => Math.floor(Date.now() / 1000)
/** Valid claims for `tenantId`, as a function of overrides; an override of `undefined` removes the claim. */
export const claimsFor =
  (tenantId: string) =>
  (overrides: Record<string, unknown> = {}) => ({
    tenantId,
    sub: 'user_42',
    scope: ALL_SCOPES,
    iat: seconds(),
    exp: seconds() + 3600,
    ...overrides,
  })
export const hs256 = (payload: object) => jwt('HS256', payload, hs(TEST_JWT_SECRET))
/** A public key as JWT_PUBLIC_KEY holds it. */
export const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString()

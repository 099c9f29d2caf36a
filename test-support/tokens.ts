import { randomBytes } from 'node:crypto'
import { ALL_SCOPES, signToken } from '@experiments/devstack'

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long'

/** A random tenant id, so test files never see each other's data. */
export const aTenant = () => `tenant_${randomBytes(4).toString('hex')}`

/** A bearer header for `tenantId` with `scope` (all scopes unless named). */
export const bearer = (tenantId: string, scope: string = ALL_SCOPES, ttlSeconds = 3600) => ({
  authorization: `Bearer ${signToken(TEST_JWT_SECRET, { tenantId, scope, ttlSeconds })}`,
})

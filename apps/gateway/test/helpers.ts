import { createDb, type DB } from '@experiments/db'
import { connectRedis, type RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll } from 'vitest'
import { call } from '../../../test-support/calls.js'
import { TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import { buildApp } from '../src/app.js'
import { blockingConnections, testDatabaseUrl, testRedis } from '../../../test-support/context.js'

/** Calls the gateway as a tenant (the helper every service's tests share). */
export { call }

export type TestGateway = { app: Awaited<ReturnType<typeof buildApp>>; db: Kysely<DB>; redis: RedisClient; blockingRedis: () => RedisClient }

/** A gateway on the test database and Redis, built before the file's tests and closed after them. */
export const useGateway = (): TestGateway => {
  const ctx = {} as TestGateway
  const blocking = blockingConnections()
  ctx.blockingRedis = blocking.create
  beforeAll(async () => {
    ctx.db = createDb(testDatabaseUrl(), { max: 5 })
    ctx.redis = await connectRedis(testRedis())
    ctx.app = await buildApp({
      db: ctx.db,
      redis: ctx.redis,
      blockingRedis: blocking.create,
      auth: { jwtSecret: TEST_JWT_SECRET },
      logLevel: 'silent',
    })
  })
  afterAll(async () => {
    await ctx.app?.close()
    await ctx.db?.destroy()
    ctx.redis?.disconnect()
    blocking.closeAll()
  })
  return ctx
}

/** A valid create-experiment body; override any field. */
export const anExperimentBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Onboarding Flow Test',
  description: 'Compare short vs. detailed onboarding',
  type: 'ab_test',
  variants: [
    { name: 'Control', splitPercentage: 50, flowId: 'flow_a', config: {} },
    { name: 'Detailed', splitPercentage: 50, flowId: 'flow_b', config: { steps: 5 } },
  ],
  ...overrides,
})

/** Creates an experiment for `tenant` and returns it as the API shows it. */
export const createExperiment = async (gw: TestGateway, tenant: string, overrides: Record<string, unknown> = {}) => {
  const { status, body } = await call(gw, 'POST', '/api/experiments', tenant, anExperimentBody(overrides))
  if (status !== 201) throw new Error(`create failed: ${status} ${JSON.stringify(body)}`)
  return body.data
}

/** A valid create-audience body; override any field. */
export const anAudienceBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Adults in the US',
  description: 'Grown-ups in one country',
  conditions: { country: 'US', age: { $gte: 18 } },
  ...overrides,
})

/** Creates an audience for `tenant` and returns it as the API shows it. */
export const createAudience = async (gw: TestGateway, tenant: string, overrides: Record<string, unknown> = {}) => {
  const { status, body } = await call(gw, 'POST', '/api/audiences', tenant, anAudienceBody(overrides))
  if (status !== 201) throw new Error(`create audience failed: ${status} ${JSON.stringify(body)}`)
  return body.data
}

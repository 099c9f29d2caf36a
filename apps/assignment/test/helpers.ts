import { randomBytes } from 'node:crypto'
import { CONFIG_CHANNEL, redisKeys, type AssignmentConfig } from '@experiments/contracts'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { afterAll, beforeAll } from 'vitest'
import { TEST_JWT_SECRET } from '../../../test-support/tokens.js'
import { buildApp } from '../src/app.js'
import { testRedis } from '../../../test-support/context.js'

export type TestAssignment = { app: Awaited<ReturnType<typeof buildApp>>; redis: RedisClient; close: () => Promise<void> }

/** An assignment service on the test Redis, with its own connections, as one replica would run. */
export const startAssignmentService = async (): Promise<TestAssignment> => {
  const redis = await connectRedis(testRedis())
  const subscriber = await connectRedis(testRedis(), { enableOfflineQueue: true })
  const app = await buildApp({ redis, subscriber, auth: { jwtSecret: TEST_JWT_SECRET }, logLevel: 'silent' })
  return {
    app,
    redis,
    close: async () => {
      await app.close()
      redis.disconnect()
      subscriber.disconnect()
    },
  }
}

/** One replica for the file's tests. */
export const useAssignmentService = () => {
  const ctx = {} as TestAssignment
  beforeAll(async () => Object.assign(ctx, await startAssignmentService()))
  afterAll(async () => ctx.close?.())
  return ctx
}

/** A running 50/50 experiment config for `tenantId`; override any field. */
export const aConfig = (tenantId: string, overrides: Partial<AssignmentConfig> = {}): AssignmentConfig => {
  const id = `exp_${randomBytes(8).toString('hex')}`
  return {
    id,
    tenantId,
    seed: id,
    status: 'running',
    variants: [
      { id: `${id}_a`, name: 'Control', flowId: 'flow_a', config: {}, splitPercentage: 50 },
      { id: `${id}_b`, name: 'Treatment', flowId: 'flow_b', config: { color: 'blue' }, splitPercentage: 50 },
    ],
    audience: null,
    version: Date.now(),
    ...overrides,
  }
}

/**
 * Publishes a config as the gateway does (the contract of packages/contracts), except that the
 * experiment is not registered for draining: it exists only in Redis, not in PostgreSQL.
 */
export const publish = async (redis: RedisClient, config: AssignmentConfig) => {
  await redis.hset(redisKeys.configs, config.id, JSON.stringify(config))
  await redis.set(redisKeys.status(config.id), config.status)
  await redis.publish(CONFIG_CHANNEL, config.id)
}

export const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms))

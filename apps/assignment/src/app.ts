import { auth, createHttpApp, healthRoutes, type AuthOptions } from '@experiments/http'
import type { Redis } from '@experiments/redis'

export type AssignmentDeps = { redis: Redis; auth: AuthOptions; logLevel?: string }

/** Request bodies are small: a user id, attributes and at most 100 experiment ids. */
export const BODY_LIMIT_BYTES = 64 * 1024

/** Builds the assignment service without listening: server.ts listens, tests inject. */
export const buildApp = async (deps: AssignmentDeps) => {
  const app = await createHttpApp({
    title: 'Assignment service',
    version: '1.0.0',
    bodyLimit: BODY_LIMIT_BYTES,
    ...(deps.logLevel ? { logLevel: deps.logLevel } : {}),
  })
  await app.register(auth, deps.auth)
  await app.register(healthRoutes, { checks: [{ name: 'redis', check: () => deps.redis.ping() }] })
  return app
}

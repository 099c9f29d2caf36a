import { auth, createHttpApp, healthRoutes, type AuthOptions, type MetricsOptions } from '@experiments/http'
import { replicaAcks, type RedisClient, type ReplicaAckOptions } from '@experiments/redis'
import { countedAssigner, countedExposures } from './answer-counters.js'
import { createAssigner } from './assigner.js'
import { defineAssignScript } from './assign-script.js'
import { createClientKeyCache } from './client-keys.js'
import { createConfigCache } from './config-cache.js'
import { createExposureRecorder } from './exposures.js'
import { assignmentRoutes } from './routes/assignments.js'
import { exposureRoutes } from './routes/exposures.js'
import { featureRoutes } from './routes/features.js'
import { createSdkPayloadCache } from './sdk-payload-cache.js'

/**
 * `redis` serves the assign script and config reads (with a commandTimeout in server.ts, so a stalled
 * Redis answers 503); `subscriber` is a second connection for pub/sub, without one.
 */
export type AssignmentDeps = {
  redis: RedisClient
  subscriber: RedisClient
  /** REDIS_MIN_REPLICAS_ACK: a new assignment is answered once replicas hold it. */
  replicaAcks?: ReplicaAckOptions
  auth: AuthOptions
  logLevel?: string
  /** GET /metrics: METRICS_TOKEN; bench/metrics-cost.ts turns request timing off. */
  metrics?: MetricsOptions
}

/** Request bodies are small: a user id, attributes and at most 100 experiment ids. */
export const BODY_LIMIT_BYTES = 64 * 1024

/** Builds the assignment service without listening: server.ts listens, tests inject. */
export const buildApp = async (deps: AssignmentDeps) => {
  const app = await createHttpApp({
    title: 'Assignment service',
    version: '1.0.0',
    bodyLimit: BODY_LIMIT_BYTES,
    ...(deps.logLevel ? { logLevel: deps.logLevel } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  })
  await app.register(auth, deps.auth)
  await app.register(healthRoutes, { checks: [{ name: 'redis', check: () => deps.redis.ping() }] })

  const cache = await createConfigCache({ redis: deps.redis, subscriber: deps.subscriber, log: app.log })
  const script = defineAssignScript(deps.redis, deps.replicaAcks && replicaAcks(deps.redis, deps.replicaAcks))
  await app.register(assignmentRoutes, { prefix: '/api', assigner: countedAssigner(createAssigner({ cache, script }), app.metrics) })
  const recorder = countedExposures(createExposureRecorder({ cache, script, redis: deps.redis }), app.metrics)
  await app.register(exposureRoutes, { prefix: '/api', recorder })
  const clientKeys = await createClientKeyCache({ redis: deps.redis, subscriber: deps.subscriber, log: app.log })
  await app.register(featureRoutes, { prefix: '/api', clientKeys, payloads: createSdkPayloadCache(cache) })
  return app
}

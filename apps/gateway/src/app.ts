import { DEFAULT_CONVERSION_QUEUE_SHARDS } from '@experiments/config'
import { configPublisher, conversionShards } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { auth, createHttpApp, healthRoutes, type AuthOptions, type MetricsOptions } from '@experiments/http'
import { replicaAcks, type RedisClient, type ReplicaAckOptions } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import { QUEUE_BOARD_PATH, queueBoard } from './admin/queue-board.js'
import { serveConsole } from './console/serve.js'
import { audienceService } from './domain/audience-service.js'
import { computeRequester } from './domain/compute-requester.js'
import { experimentService } from './domain/experiment-service.js'
import { participantCounter } from './domain/participant-counter.js'
import { openQueues } from './domain/queues.js'
import { resultsReader } from './domain/results-reader.js'
import { clientKeyRegistry } from './domain/sdk-connection-keys.js'
import { sdkConnectionService } from './domain/sdk-connection-service.js'
import { backlogGuard, type BacklogLimits } from './ingestion/backlog-guard.js'
import { experimentOwnership } from './ingestion/experiment-ownership.js'
import { conversionBacklogGauge, conversionEventCounter } from './ingestion/ingestion-metrics.js'
import { conversionIntake } from './ingestion/intake.js'
import { announceShards } from './ingestion/shard-announcer.js'
import { audienceRoutes } from './routes/audiences/index.js'
import { conversionRoutes } from './routes/conversions/index.js'
import { experimentRoutes } from './routes/experiments/index.js'
import { resultRoutes } from './routes/experiments/results.js'
import { sdkConnectionRoutes } from './routes/sdk-connections/index.js'

export type GatewayDeps = {
  db: Kysely<DB>
  /**
   * Commands: config publishing, participant counts, queueing. Fails fast while Redis is down and,
   * with a commandTimeout (server.ts: REDIS_COMMAND_TIMEOUT_MS), while it stalls.
   */
  redis: RedisClient
  /** A dedicated connection for BullMQ's blocking reads of queue events. */
  blockingRedis: () => RedisClient
  /** CONVERSION_QUEUE_SHARDS: the conversions queues batches are spread over (each Redis master an equal share). */
  conversionShards?: number
  /** REDIS_MIN_REPLICAS_ACK: a batch, a lifecycle change is acknowledged once replicas hold it. */
  replicaAcks?: ReplicaAckOptions
  auth: AuthOptions
  limits?: Partial<BacklogLimits> & { computeTimeoutMs?: number }
  logLevel?: string
  /** GET /metrics: METRICS_TOKEN. */
  metrics?: MetricsOptions
}

/** Largest request body: a full batch of 1000 conversion events fits. */
export const BODY_LIMIT_BYTES = 1024 * 1024

/** Builds the gateway without listening: server.ts listens, tests inject. */
export const buildApp = async (deps: GatewayDeps) => {
  const app = await createHttpApp({
    title: 'Experiments API',
    version: '1.0.0',
    bodyLimit: BODY_LIMIT_BYTES,
    ...(deps.logLevel ? { logLevel: deps.logLevel } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  })
  await app.register(auth, deps.auth)

  const acks = replicaAcks(deps.redis, deps.replicaAcks ?? { replicas: 0, timeoutMs: 0 })
  const experiments = experimentService({
    db: deps.db,
    publisher: configPublisher(deps.redis, acks),
    participants: participantCounter(deps.redis, deps.db),
  })
  const audiences = audienceService({ db: deps.db, experiments })

  await app.register(healthRoutes, {
    checks: [
      { name: 'postgres', check: () => sql`select 1`.execute(deps.db) },
      { name: 'redis', check: () => deps.redis.ping() },
    ],
  })
  const shards = conversionShards(deps.conversionShards ?? DEFAULT_CONVERSION_QUEUE_SHARDS)
  const queues = openQueues({ redis: deps.redis, blockingRedis: deps.blockingRedis, shards, log: app.log })
  const stopAnnouncing = announceShards(deps.redis, shards, app.log)
  conversionBacklogGauge(app.metrics, deps.redis, shards, app.log)
  app.addHook('onClose', async () => {
    stopAnnouncing()
    await queues.close()
  })
  const intake = conversionIntake({
    shards: queues.conversions,
    redis: deps.redis,
    acks,
    ownership: experimentOwnership(deps.db),
    backlog: backlogGuard(deps.redis, shards, {
      maxEvents: deps.limits?.maxEvents ?? 1_000_000,
      maxRedisMemoryBytes: deps.limits?.maxRedisMemoryBytes ?? 0,
    }),
  })
  app.addHook('onClose', async () => intake.close())
  const computer = computeRequester({
    queue: queues.computeResults,
    events: queues.computeEvents,
    timeoutMs: deps.limits?.computeTimeoutMs ?? 10_000,
  })

  await app.register(experimentRoutes, { prefix: '/api/experiments', experiments })
  await app.register(resultRoutes, { prefix: '/api/experiments', results: resultsReader(deps.db, deps.redis), computer })
  await app.register(audienceRoutes, { prefix: '/api/audiences', audiences })
  await app.register(sdkConnectionRoutes, {
    prefix: '/api/sdk-connections',
    sdkConnections: sdkConnectionService({ db: deps.db, keys: clientKeyRegistry(deps.redis, acks) }),
  })
  await app.register(conversionRoutes, { prefix: '/api', intake, counter: conversionEventCounter(app.metrics) })
  await app.register(queueBoard, {
    prefix: QUEUE_BOARD_PATH,
    redis: deps.redis,
    queues: [...queues.conversions.map(({ queue }) => queue), queues.computeResults],
  })
  serveConsole(app)
  return app
}

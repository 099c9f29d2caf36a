import type { DB } from '@experiments/db'
import { auth, createHttpApp, healthRoutes, type AuthOptions } from '@experiments/http'
import type { Redis } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import { audienceService } from './domain/audience-service.js'
import { configPublisher, QUEUE, QUEUE_PREFIX } from '@experiments/contracts'
import { Queue, QueueEvents } from 'bullmq'
import { backlogGuard, type BacklogLimits } from './domain/backlog-guard.js'
import { computeRequester } from './domain/compute-requester.js'
import { conversionIntake } from './domain/conversion-intake.js'
import { experimentOwnership } from './domain/experiment-ownership.js'
import { resultsReader } from './domain/results-reader.js'
import { conversionRoutes } from './routes/conversions/index.js'
import { resultRoutes } from './routes/experiments/results.js'
import { participantCounter } from './domain/participant-counter.js'
import { experimentService } from './domain/experiment-service.js'
import { audienceRoutes } from './routes/audiences/index.js'
import { experimentRoutes } from './routes/experiments/index.js'

export type GatewayDeps = {
  db: Kysely<DB>
  /** Commands: config publishing, participant counts, queueing. Fails fast while Redis is down. */
  redis: Redis
  /** A dedicated connection for BullMQ's blocking reads of queue events. */
  blockingRedis: () => Redis
  auth: AuthOptions
  limits?: Partial<BacklogLimits> & { computeTimeoutMs?: number }
  logLevel?: string
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
  })
  await app.register(auth, deps.auth)

  const experiments = experimentService({
    db: deps.db,
    publisher: configPublisher(deps.redis),
    participants: participantCounter(deps.redis, deps.db),
  })
  const audiences = audienceService({ db: deps.db, experiments })

  await app.register(healthRoutes, {
    checks: [
      { name: 'postgres', check: () => sql`select 1`.execute(deps.db) },
      { name: 'redis', check: () => deps.redis.ping() },
    ],
  })
  const conversionsQueue = new Queue(QUEUE.conversions, { connection: deps.redis, prefix: QUEUE_PREFIX })
  const computeQueue = new Queue(QUEUE.computeResults, { connection: deps.redis, prefix: QUEUE_PREFIX })
  const eventsConnection = deps.blockingRedis()
  eventsConnection.on('error', (err) => app.log.warn({ err }, 'redis connection of compute-results events failed'))
  const computeEvents = new QueueEvents(QUEUE.computeResults, { connection: eventsConnection, prefix: QUEUE_PREFIX })
  const logBullError = (err: Error) => app.log.warn({ err }, 'BullMQ connection error')
  conversionsQueue.on('error', logBullError)
  computeQueue.on('error', logBullError)
  computeEvents.on('error', logBullError)
  app.addHook('onClose', async () => {
    await Promise.all([conversionsQueue.close(), computeQueue.close(), computeEvents.close()])
  })
  const intake = conversionIntake({
    queue: conversionsQueue,
    redis: deps.redis,
    ownership: experimentOwnership(deps.db),
    backlog: backlogGuard(deps.redis, {
      maxEvents: deps.limits?.maxEvents ?? 1_000_000,
      maxRedisMemoryBytes: deps.limits?.maxRedisMemoryBytes ?? 0,
    }),
  })
  const computer = computeRequester({ queue: computeQueue, events: computeEvents, timeoutMs: deps.limits?.computeTimeoutMs ?? 10_000 })

  await app.register(experimentRoutes, { prefix: '/api/experiments', experiments })
  await app.register(resultRoutes, { prefix: '/api/experiments', results: resultsReader(deps.db), computer })
  await app.register(audienceRoutes, { prefix: '/api/audiences', audiences })
  await app.register(conversionRoutes, { prefix: '/api', intake })
  return app
}

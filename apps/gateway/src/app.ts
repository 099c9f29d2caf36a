import type { DB } from '@experiments/db'
import { auth, createHttpApp, healthRoutes, type AuthOptions } from '@experiments/http'
import type { Redis } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import { audienceService } from './domain/audience-service.js'
import { configPublisher, participantCounter } from './domain/config-publisher.js'
import { experimentService } from './domain/experiment-service.js'
import { audienceRoutes } from './routes/audiences/index.js'
import { experimentRoutes } from './routes/experiments/index.js'

export type GatewayDeps = { db: Kysely<DB>; redis: Redis; auth: AuthOptions; logLevel?: string }

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
    participants: participantCounter(deps.redis),
  })
  const audiences = audienceService({ db: deps.db, experiments })

  await app.register(healthRoutes, {
    checks: [
      { name: 'postgres', check: () => sql`select 1`.execute(deps.db) },
      { name: 'redis', check: () => deps.redis.ping() },
    ],
  })
  await app.register(experimentRoutes, { prefix: '/api/experiments', experiments })
  await app.register(audienceRoutes, { prefix: '/api/audiences', audiences })
  return app
}

import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { loadEnvOrExit, redisTargetOf } from '@experiments/config'
import { configPublisher } from '@experiments/contracts'
import { createDb, migrateOrExit } from '@experiments/db'
import { listenUntilSignalled } from '@experiments/http'
import { blockingRedis, connectRedis, type RedisClient } from '@experiments/redis'
import { sql } from 'kysely'
import { assignmentStore } from './assignments/assignment-store.js'
import { createConfigResync } from './assignments/config-resync.js'
import { createRebuilder } from './assignments/rebuild.js'
import { drainLagGauge } from './assignments/drain-lag.js'
import { createAssignmentDrain } from './assignments/stream-drain.js'
import { buildHealthServer } from './health-server.js'
import { STATEMENT_TIMEOUT_MS } from './maintenance/processor.js'
import { createRedisRecovery, every } from './redis-recovery.js'
import { startWorkers } from './workers.js'

/** How often a worker looks for the restore marker (a Redis that lost its data is restored within about this). */
const RESTORE_CHECK_MS = 2000
/** How often each experiment's Redis state (sticky map, counts, config, status) is checked against PostgreSQL. */
const RECONCILE_MS = 10_000

const env = loadEnvOrExit({ database: true })
// Migrations may run long; they get a connection without the statement timeout. PostgreSQL
// unreachable (or a migration failing) is one line naming DATABASE_URL's host and exit 1: the
// orchestrator restarts the worker with its own backoff.
await migrateOrExit('analytics', env.DATABASE_URL)
const db = createDb(env.DATABASE_URL, { statementTimeoutMs: STATEMENT_TIMEOUT_MS })
const redisTarget = redisTargetOf(env)
const redis = await connectRedis(redisTarget, { connectionName: 'analytics' })

const health = await buildHealthServer({
  logLevel: env.LOG_LEVEL,
  metrics: { token: env.METRICS_TOKEN },
  checks: [
    { name: 'postgres', check: () => sql`select 1`.execute(db) },
    { name: 'redis', check: () => redis.ping() },
  ],
})
const log = health.log
const store = assignmentStore(db)
const drain = createAssignmentDrain({
  redis,
  store,
  consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  log,
  claimIdleMs: env.STREAM_CLAIM_IDLE_MS,
})
const publisher = configPublisher(redis)
const rebuilder = createRebuilder({ redis, store, drain, publisher, log })
const resyncConfigs = createConfigResync({ redis, store, publisher, log })

drain.start()
drainLagGauge(health.metrics, redis, log)
const bullConnections: RedisClient[] = []
const workers = await startWorkers({
  db,
  redis,
  concurrency: env.ANALYTICS_CONCURRENCY,
  conversionShards: env.CONVERSION_QUEUE_SHARDS,
  retry: { delayMs: env.ANALYTICS_RETRY_DELAY_MS, maxDelayMs: env.ANALYTICS_RETRY_MAX_DELAY_MS },
  log,
  metrics: health.metrics,
  bullConnection: () => {
    const connection = blockingRedis(redisTarget, 'analytics-bullmq')
    connection.on('error', (err) => log.warn({ err }, 'redis connection of a BullMQ worker failed'))
    bullConnections.push(connection)
    return connection
  },
})
const recovery = createRedisRecovery({ db, redis, store, rebuilder, publisher, registerSchedulers: workers.registerSchedulers, log })
await recovery.check().catch((err) => log.warn({ err }, 'restoring Redis failed; retrying'))
const stopChecks = [
  every(RESTORE_CHECK_MS, recovery.check, log, 'restoring Redis'),
  every(
    RECONCILE_MS,
    async () => {
      await rebuilder.reconcile()
      await resyncConfigs()
    },
    log,
    "checking experiments' Redis state against PostgreSQL",
  ),
]

health.addHook('onClose', async () => {
  for (const stop of stopChecks) stop()
  await Promise.all([drain.stop(), workers.close()])
  await Promise.all(bullConnections.map((c) => c.quit()))
  await Promise.all([db.destroy(), redis.quit()])
})
await listenUntilSignalled(health, { host: env.HOST, port: env.ANALYTICS_PORT })

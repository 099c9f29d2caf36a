import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { loadEnvOrExit } from '@experiments/config'
import { createDb, migrateToLatest } from '@experiments/db'
import { listenUntilSignalled } from '@experiments/http'
import { blockingRedis, connectRedis, type Redis } from '@experiments/redis'
import { sql } from 'kysely'
import { assignmentStore } from './assignments/assignment-store.js'
import { createRebuilder } from './assignments/rebuild.js'
import { createAssignmentDrain } from './assignments/stream-drain.js'
import { buildHealthServer } from './health-server.js'
import { startWorkers } from './workers.js'

const REBUILD_CHECK_MS = 30_000

const env = loadEnvOrExit({ database: true })
const db = createDb(env.DATABASE_URL)
await migrateToLatest(db)
const redis = await connectRedis(env.REDIS_URL, { connectionName: 'analytics' })

const health = await buildHealthServer({
  logLevel: env.LOG_LEVEL,
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
const rebuilder = createRebuilder({ redis, store, drain, log })

const checkRebuilds = () =>
  rebuilder.rebuildMissing().catch((err) => log.warn({ err }, 'rebuild check failed'))
await checkRebuilds()
const rebuildTimer = setInterval(checkRebuilds, REBUILD_CHECK_MS)
drain.start()
const bullConnections: Redis[] = []
const workers = await startWorkers({
  db,
  redis,
  concurrency: env.ANALYTICS_CONCURRENCY,
  log,
  bullConnection: () => {
    const connection = blockingRedis(env.REDIS_URL, 'analytics-bullmq')
    connection.on('error', (err) => log.warn({ err }, 'redis connection of a BullMQ worker failed'))
    bullConnections.push(connection)
    return connection
  },
})

health.addHook('onClose', async () => {
  clearInterval(rebuildTimer)
  await Promise.all([drain.stop(), workers.close()])
  await Promise.all(bullConnections.map((c) => c.quit()))
  await Promise.all([db.destroy(), redis.quit()])
})
await listenUntilSignalled(health, { host: env.HOST, port: env.ANALYTICS_PORT })
